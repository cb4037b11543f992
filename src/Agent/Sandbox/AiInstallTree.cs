using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Sandbox;

/// <summary>
/// The folders the AI command needs to run, outside the system folders the sandbox always shows: the real install
/// tree of PW_AI_BIN (for an npm package such as Claude Code, the package folder, wherever its bin symlink points),
/// and the same for the interpreter its '#!' line names (node from nvm, for example). Each is shown read-only.
/// </summary>
public static class AiInstallTree
{
    /// <summary>Folders the sandbox shows read-only in any case.</summary>
    public static readonly string[] SystemFolders = { "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt" };

    public static List<string> FoldersFor(string resolvedCommand)
    {
        var folders = new List<string>();
        AddCommand(resolvedCommand, folders, depth: 0);
        return folders;
    }

    private static void AddCommand(string command, List<string> folders, int depth)
    {
        if (depth > 2) return;
        var real = ProjectPaths.RealPath(command);
        // The PATH entry the command was found in (a bin folder of symlinks) and the folder it really lives in.
        AddFolder(Path.GetDirectoryName(command), folders);
        AddFolder(InstallRoot(real), folders);
        if (Interpreter(real) is { } interpreter && Health.CommandResolver.Resolve(interpreter) is { } resolved)
            AddCommand(resolved, folders, depth + 1);
    }

    /// <summary>The package folder for a file inside node_modules (the whole package), else the file's own folder.</summary>
    private static string? InstallRoot(string realFile)
    {
        var dir = Path.GetDirectoryName(realFile);
        for (var current = dir; current is not null; current = Path.GetDirectoryName(current))
        {
            var parent = Path.GetDirectoryName(current);
            if (parent is null) break;
            if (Path.GetFileName(parent) == "node_modules") return current;
            if (Path.GetFileName(parent).StartsWith('@') && Path.GetFileName(Path.GetDirectoryName(parent)) == "node_modules") return current;
        }
        // A node binary in <prefix>/bin: its prefix holds lib/node_modules (nvm, a tarball install).
        if (Path.GetFileName(dir) == "bin" && Path.GetFileName(realFile) == "node") return Path.GetDirectoryName(dir);
        return dir;
    }

    /// <summary>The program a '#!' line runs ('#!/usr/bin/env node' gives 'node'), or null.</summary>
    private static string? Interpreter(string realFile)
    {
        try
        {
            using var stream = File.OpenRead(realFile);
            var buffer = new byte[256];
            var read = stream.Read(buffer, 0, buffer.Length);
            if (read < 3 || buffer[0] != '#' || buffer[1] != '!') return null;
            var line = System.Text.Encoding.UTF8.GetString(buffer, 2, read - 2).Split('\n')[0].Trim();
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) return null;
            if (Path.GetFileName(parts[0]) == "env")
                return parts.Skip(1).FirstOrDefault(p => !p.StartsWith('-'));
            return parts[0];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void AddFolder(string? folder, List<string> folders)
    {
        if (string.IsNullOrEmpty(folder) || folder == "/") return;
        var real = ProjectPaths.RealPath(folder);
        if (IsSystem(real) || folders.Contains(real, StringComparer.Ordinal)) return;
        folders.Add(real);
    }

    public static bool IsSystem(string path) =>
        SystemFolders.Any(s => path == s || path.StartsWith(s + "/", StringComparison.Ordinal));
}
