using Patchwire.Agent.Configuration;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Checkouts;

/// <summary>
/// The folders runs work in, so that runs on one project do not wait for each other's checkout:
/// <c>&lt;root&gt;/&lt;user&gt;/.patchwire-runs/&lt;project&gt;.&lt;id&gt;</c>, one per run, under the user's own folder (the
/// sandbox derives the user from the path; no project name starts with a dot, so none can collide).
///
/// A run folder is not a <c>git worktree</c> (whose <c>.git</c> file and <c>commondir</c> would lead back into the
/// checkout's own repository, config and hooks): it is a repository of its own, made by the agent with
/// <c>git init --template=</c>, whose only link to the checkout is one line in <c>.git/objects/info/alternates</c>
/// naming the checkout's object folder, which git only ever reads through. New objects (the capture's <c>git add</c>)
/// land in the run's own object folder; the checkout's repository is never written by a run. The sandbox shows the
/// run's <c>.git</c> and the checkout's object folder read-only. The folder is removed once the diff is captured;
/// start-up recovery removes any left by a crash.
///
/// While a run folder borrows a checkout's objects, the checkout's history maintenance (repack and prune) waits:
/// <see cref="Lease"/> is taken under the checkout's lock, which maintenance holds too.
/// </summary>
public sealed class RunWorktrees(AgentOptions options)
{
    public const string FolderName = ".patchwire-runs";
    private const string AlternatesFile = "objects/info/alternates";

    private readonly Dictionary<string, int> _leases = new(StringComparer.Ordinal);

    /// <summary>True when runs work in their own folder (PW_RUN_WORKTREES, default on); off, they take turns in the checkout.</summary>
    public bool Enabled => options.RunWorktrees;

    /// <summary>A new run folder's path for a run on <paramref name="checkout"/> (&lt;root&gt;/&lt;user&gt;/&lt;project&gt;).</summary>
    public static string NewFolder(string checkout)
    {
        var full = Path.GetFullPath(checkout).TrimEnd(Path.DirectorySeparatorChar);
        var userFolder = Path.GetDirectoryName(full)!;
        return Path.Combine(userFolder, FolderName, Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..16]);
    }

    /// <summary>True when <paramref name="folder"/> is a run folder's path (its parent is a .patchwire-runs folder).</summary>
    public static bool IsRunFolder(string folder) =>
        Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))) == FolderName;

    /// <summary>
    /// Makes <paramref name="folder"/> a repository that borrows <paramref name="checkout"/>'s objects and holds
    /// exactly <paramref name="commit"/>'s tree, HEAD detached there. Whatever was at the path before is removed first.
    /// </summary>
    public static async Task CreateAsync(string checkout, string folder, string commit, CancellationToken cancellationToken)
    {
        var objects = Path.Combine(ProjectPaths.RealPath(checkout), ".git", "objects");
        if (!GitDirGuard.HasOwnRepository(checkout) || !Directory.Exists(objects) || new DirectoryInfo(objects).LinkTarget is not null)
            throw new GitException($"{checkout} has no repository of its own to start a run folder from");
        Remove(folder);
        var parent = Path.GetDirectoryName(folder)!;
        CreateOwnerOnlyFolder(parent);
        CreateOwnerOnlyFolder(folder);
        var init = await AgentGit.InitAsync(folder, cancellationToken).ConfigureAwait(false);
        if (!init.Ok) throw new GitException($"git init of the run folder failed ({init.ExitCode}): {init.FirstErrorLine}");
        var alternates = Path.Combine(folder, ".git", AlternatesFile);
        Directory.CreateDirectory(Path.GetDirectoryName(alternates)!);
        AtomicFile.WriteAllText(alternates, objects + "\n");
        // A checkout whose history was cut (SnapshotHistory) has a shallow boundary; without it, git log in the run folder fails.
        var shallow = Path.Combine(checkout, ".git", "shallow");
        if (GitDirGuard.IsRegularFile(shallow)) AtomicFile.WriteAllText(Path.Combine(folder, ".git", "shallow"), File.ReadAllText(shallow));
        // A fresh folder: nothing a power cut could lose that matters (recovery removes it), and one writer per core.
        await AgentGit.RunCheckedAsync(folder, new[] { "-c", "core.fsync=none", "-c", "checkout.workers=0", "checkout", "-q", "-f", "--detach", commit }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The checkout's object folder a run folder borrows (for the sandbox to show read-only), or null when
    /// <paramref name="folder"/> is not a run folder or its alternates line is not the object folder of a project of
    /// the same user (the agent wrote that line just before; anything else is refused rather than shown).
    /// </summary>
    public static string? SharedObjects(string folder)
    {
        if (!IsRunFolder(folder)) return null;
        var file = Path.Combine(folder, ".git", AlternatesFile);
        if (!GitDirGuard.IsRegularFile(file)) return null;
        var lines = File.ReadAllText(file).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 1) return null;
        var objects = lines[0];
        var userFolder = ProjectPaths.RealPath(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(folder))!)!);
        var project = Path.GetDirectoryName(Path.GetDirectoryName(objects));
        if (!Path.IsPathRooted(objects) || project is null || Path.GetDirectoryName(project) != userFolder
            || ProjectPaths.RealPath(objects) != objects || !Directory.Exists(objects))
            return null;
        return objects;
    }

    /// <summary>Removes a run folder and everything in it, links as links, whatever modes the AI left on its folders.</summary>
    public static void Remove(string folder)
    {
        var info = new DirectoryInfo(folder);
        if (info.LinkTarget is not null) { File.Delete(folder); return; }
        if (!info.Exists)
        {
            if (File.Exists(folder)) File.Delete(folder);
            return;
        }
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A folder the AI made unwritable (chmod 0500) keeps its entries, and on Windows a read-only file (git's
            // objects are) cannot be deleted: give the owner its rights back and retry.
            MakeWritable(info);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Start-up, before the port opens: removes every run folder (none is in use yet). One line per folder removed or not.</summary>
    public List<string> RemoveLeftovers()
    {
        var lines = new List<string>();
        if (!Directory.Exists(options.ProjectsRoot)) return lines;
        foreach (var user in Directory.EnumerateDirectories(options.ProjectsRoot))
        {
            if (new DirectoryInfo(user).LinkTarget is not null) continue;
            var runs = Path.Combine(user, FolderName);
            if (new DirectoryInfo(runs).LinkTarget is not null) { TryRemove(runs, lines); continue; }
            if (!Directory.Exists(runs)) continue;
            foreach (var leftover in Directory.EnumerateFileSystemEntries(runs)) TryRemove(leftover, lines);
        }
        return lines;
    }

    private static void TryRemove(string path, List<string> lines)
    {
        try
        {
            Remove(path);
            lines.Add($"patchwire-agent: removed run folder {path} left by an interrupted run");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lines.Add($"patchwire-agent: could not remove run folder {path} ({ex.Message}); will retry on the next start");
        }
    }

    /// <summary>Marks <paramref name="checkout"/>'s objects as borrowed until disposed. Take it while holding the checkout's lock.</summary>
    public IDisposable Lease(string checkout)
    {
        var key = Path.GetFullPath(checkout);
        lock (_leases) _leases[key] = _leases.GetValueOrDefault(key) + 1;
        return new LeaseRelease(this, key);
    }

    /// <summary>True while a run folder borrows <paramref name="checkout"/>'s objects (its history must not be pruned).</summary>
    public bool IsLeased(string checkout)
    {
        lock (_leases) return _leases.ContainsKey(Path.GetFullPath(checkout));
    }

    private void Release(string key)
    {
        lock (_leases)
        {
            if (!_leases.TryGetValue(key, out var count)) return;
            if (count <= 1) _leases.Remove(key);
            else _leases[key] = count - 1;
        }
    }

    private static void CreateOwnerOnlyFolder(string path)
    {
        if (new DirectoryInfo(path).LinkTarget is not null || File.Exists(path)) Remove(path);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void MakeWritable(DirectoryInfo folder)
    {
        if (folder.LinkTarget is not null) return;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                foreach (var file in folder.EnumerateFiles("*", new EnumerationOptions { AttributesToSkip = 0 }))
                    if (file.LinkTarget is null && file.IsReadOnly) file.IsReadOnly = false;
            }
            else
            {
                folder.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        foreach (var inner in folder.EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = 0 })) MakeWritable(inner);
    }

    private sealed class LeaseRelease(RunWorktrees owner, string key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(key);
        }
    }
}
