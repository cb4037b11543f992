
namespace Patchwire.Agent.Sandbox;

/// <summary>
/// Each user's private HOME for the AI, <c>$PW_HOME/ai-home/&lt;user&gt;/</c> (0700): the AI's sessions, transcripts
/// and caches (Claude Code's ~/.claude) stay apart per user. The admin's credential files are bound into it read-only
/// at the same place relative to HOME they have in the admin's own home.
/// </summary>
public static class AiHome
{
    public static string PathFor(string patchwireHome, string user) => Path.Combine(patchwireHome, "ai-home", user);

    /// <summary>Creates the user's private home (and its parent) owner-only; returns its path.</summary>
    public static string Ensure(string patchwireHome, string user)
    {
        var parent = Path.Combine(patchwireHome, "ai-home");
        CreatePrivate(parent);
        var home = Path.Combine(parent, user);
        CreatePrivate(home);
        WriteGitIdentity(home, user);
        return home;
    }

    /// <summary>
    /// The AI's own git (a commit it makes) needs an identity, and the admin's ~/.gitconfig is not the AI's: the first
    /// run writes one naming the user. The AI or the admin may change it; it only ever affects that user's AI.
    /// </summary>
    private static void WriteGitIdentity(string home, string user)
    {
        var file = Path.Combine(home, ".gitconfig");
        if (File.Exists(file) || new FileInfo(file).LinkTarget is not null) return;
        var text = $"[user]\n\tname = {user} (AI via Patchwire)\n\temail = {user}@patchwire.invalid\n";
        try
        {
            using var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        catch (IOException) when (File.Exists(file)) { }
    }

    /// <summary>The credential files that exist now, each with the path it gets inside the private home.</summary>
    public static List<(string Source, string Target)> CredentialBinds(IReadOnlyList<string>? configured, string privateHome)
    {
        var adminHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var files = configured ?? DefaultCredentialFiles(adminHome);
        var binds = new List<(string, string)>();
        foreach (var file in files)
        {
            if (!File.Exists(file)) continue;
            var relative = adminHome.Length > 0 ? Path.GetRelativePath(adminHome, file) : file;
            var target = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
                ? Path.Combine(privateHome, Path.GetFileName(file))
                : Path.Combine(privateHome, relative);
            binds.Add((file, target));
        }
        return binds;
    }

    public static IReadOnlyList<string> DefaultCredentialFiles(string adminHome) => adminHome.Length == 0
        ? Array.Empty<string>()
        : new[] { Path.Combine(adminHome, ".claude", ".credentials.json"), Path.Combine(adminHome, ".claude.json") };

    private static void CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (new DirectoryInfo(path).LinkTarget is not null)
            throw new IOException($"{path} is a symbolic link; the AI's private home must be a real folder.");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
