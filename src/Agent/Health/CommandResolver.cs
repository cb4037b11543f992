namespace Patchwire.Agent.Health;

/// <summary>Finds a command the way a shell would: a path as given, else the first match on PATH.</summary>
public static class CommandResolver
{
    public static string? Resolve(string command)
    {
        if (command.IndexOfAny(new[] { '/', '\\' }) >= 0)
            return File.Exists(command) ? Path.GetFullPath(command) : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend("")
            : new[] { "" };
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, command + ext);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
