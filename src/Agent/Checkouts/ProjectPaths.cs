using Patchwire.Agent.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Checkouts;

/// <summary>
/// Maps (user, project) to &lt;root&gt;/&lt;user&gt;/&lt;project&gt; and refuses any name or symlink that would
/// lead outside &lt;root&gt;/&lt;user&gt;/. The user always comes from the token, never from the request.
/// </summary>
public sealed class ProjectPaths(AgentOptions options)
{
    public string UserDirectory(string user) => Path.Combine(options.ProjectsRoot, user);

    /// <summary>The checkout path, or null when the project name is invalid or its real path escapes the user's folder.</summary>
    public string? Resolve(string user, string project)
    {
        if (NameRules.Check(user) is not null || NameRules.Check(project, "project name") is not null) return null;
        var userDir = UserDirectory(user);
        var path = Path.Combine(userDir, ExistingSpelling(userDir, project));
        var realUserDir = RealPath(userDir);
        var realPath = RealPath(path);
        var prefix = realUserDir.EndsWith(Path.DirectorySeparatorChar) ? realUserDir : realUserDir + Path.DirectorySeparatorChar;
        return realPath.StartsWith(prefix, StringComparison.Ordinal) ? path : null;
    }

    /// <summary>Why <paramref name="project"/> is not a valid project name, or null when it is.</summary>
    public static string? NameProblem(string project) => NameRules.Check(project, "project name");

    /// <summary>
    /// Where names ignore case (Windows, macOS): the spelling of the project's folder if one exists under another
    /// case, so 'app' after 'App' uses the one folder, its lock and its baseline; elsewhere the name as given.
    /// </summary>
    private string ExistingSpelling(string userDir, string project)
    {
        if (!options.NamePlatform.IgnoresCase()) return project;
        string? other = null;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(userDir))
            {
                var name = Path.GetFileName(dir);
                if (string.Equals(name, project, StringComparison.Ordinal)) return project;
                if (other is null && string.Equals(name, project, StringComparison.OrdinalIgnoreCase)) other = name;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return other ?? project;
    }

    /// <summary>
    /// Resolves every symlink along <paramref name="path"/> as the kernel does (a <c>..</c> after a link climbs from
    /// where the link led, not from the link's own folder), tolerating components that do not exist yet; a dangling
    /// link is still followed. Throws <see cref="IOException"/> after 40 links (a loop).
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>();
        PushComponents(pending, full.Substring(current.Length));
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++hops > MaxLinkHops) throw new IOException($"Too many levels of symbolic links at {next}");
                if (Path.IsPathRooted(target))
                {
                    var targetRoot = Path.GetPathRoot(target)!;
                    // A Windows target rooted without a drive ("\x") stays on the current drive.
                    current = targetRoot.Length > 0 && targetRoot.TrimEnd('/', '\\').Length == 0 ? Path.GetPathRoot(current)! : targetRoot;
                    target = target.Substring(targetRoot.Length);
                }
                PushComponents(pending, target);
                continue;
            }
            current = next;
        }
        return current;
    }

    private const int MaxLinkHops = 40;

    private static void PushComponents(Stack<string> pending, string relative)
    {
        var parts = relative.Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
