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
        var path = Path.Combine(userDir, project);
        var realUserDir = RealPath(userDir);
        var realPath = RealPath(path);
        var prefix = realUserDir.EndsWith(Path.DirectorySeparatorChar) ? realUserDir : realUserDir + Path.DirectorySeparatorChar;
        return realPath.StartsWith(prefix, StringComparison.Ordinal) ? path : null;
    }

    /// <summary>Resolves every symlink along <paramref name="path"/> (like realpath), tolerating components that do not exist yet.</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = full.Substring(root.Length).Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
        var hops = 0;
        var queue = new Queue<string>(parts);
        while (queue.Count > 0)
        {
            var part = queue.Dequeue();
            var next = Path.Combine(current, part);
            FileSystemInfo info = new DirectoryInfo(next);
            if (!info.Exists) info = new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++hops > 64) throw new IOException($"Too many levels of symbolic links at {next}");
                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                var rest = queue.ToArray();
                var resolvedRoot = Path.GetPathRoot(resolved)!;
                queue = new Queue<string>(resolved.Substring(resolvedRoot.Length)
                    .Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries)
                    .Concat(rest));
                current = resolvedRoot;
                continue;
            }
            current = next;
        }
        return current;
    }
}
