namespace Patchwire.Agent.Health;

/// <summary>
/// Finds a command the way a shell would: a path as given, else the first match on PATH. On Windows a name without
/// one of PATHEXT's extensions is tried with each of them in turn (never bare: npm puts an extensionless sh script
/// named 'claude' beside 'claude.cmd', and Windows cannot start the script), so PW_AI_BIN=claude finds npm's claude.cmd.
/// </summary>
public static class CommandResolver
{
    /// <summary>What a lookup depends on, so tests can resolve as Windows would from a fake PATH and PATHEXT.</summary>
    public sealed record Lookup(bool Windows, string? Path, string? PathExt)
    {
        public static Lookup Current =>
            new(OperatingSystem.IsWindows(), Environment.GetEnvironmentVariable("PATH"), Environment.GetEnvironmentVariable("PATHEXT"));
    }

    public const string DefaultPathExt = ".COM;.EXE;.BAT;.CMD";

    public static string? Resolve(string command) => Resolve(command, Lookup.Current);

    public static string? Resolve(string command, Lookup lookup)
    {
        if (command.Length == 0) return null;
        var candidates = Candidates(command, lookup).ToList();
        var hasFolder = command.IndexOfAny(new[] { '/', '\\' }) >= 0;
        if (hasFolder)
        {
            foreach (var name in candidates)
                if (File.Exists(name)) return Path.GetFullPath(name);
            return null;
        }
        var separator = lookup.Windows ? ';' : ':';
        foreach (var dir in (lookup.Path ?? "").Split(separator, StringSplitOptions.RemoveEmptyEntries))
        {
            // Windows PATH entries may be quoted ("C:\Program Files\nodejs").
            var folder = lookup.Windows ? dir.Trim().Trim('"') : dir;
            if (folder.Length == 0) continue;
            foreach (var name in candidates)
            {
                var candidate = Path.Combine(folder, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="path"/> is a batch file, which Windows can only start through cmd.exe.</summary>
    public static bool IsBatchFile(string path) =>
        path.EndsWith(".cmd", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".bat", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> Candidates(string command, Lookup lookup)
    {
        if (!lookup.Windows)
        {
            yield return command;
            yield break;
        }
        var extensions = (string.IsNullOrWhiteSpace(lookup.PathExt) ? DefaultPathExt : lookup.PathExt)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(e => e.StartsWith('.'))
            .ToList();
        var given = Path.GetExtension(command);
        if (given.Length > 0 && extensions.Contains(given, StringComparer.OrdinalIgnoreCase))
        {
            yield return command;
            yield break;
        }
        foreach (var extension in extensions)
        {
            yield return command + extension;
            // Windows file names ignore case, so this only matters where they do not (a test on Linux): npm writes '.cmd'.
            if (extension != extension.ToLowerInvariant()) yield return command + extension.ToLowerInvariant();
        }
    }
}
