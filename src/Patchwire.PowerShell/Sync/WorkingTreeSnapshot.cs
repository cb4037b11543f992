using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using Patchwire.Core.Configuration;
using Patchwire.Core.Identity;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Sync;

/// <summary>A snapshot commit of the working tree, and the commit the agent's baseline chain continues from.</summary>
public sealed class SnapshotCommit(string commit, string tree, string? parent)
{
    public string Commit { get; } = commit;
    public string Tree { get; } = tree;
    public string? Parent { get; } = parent;
}

/// <summary>
/// Where the snapshots of one laptop folder live. In a git repository: the repository itself, with a private
/// index and the ref refs/patchwire/snapshots/&lt;project&gt;, so HEAD, the real index, the stash and the reflogs
/// are never touched. In a plain folder: a private bare repository under $PW_HOME/sync/ whose work tree is the folder.
/// Either way the private index lives under $PW_HOME/sync/ (keyed by repository, work tree and project) from one
/// sync to the next, so its stat data and untracked cache make a sync cost one lstat per file whatever state the
/// developer's own index is in.
/// </summary>
public sealed class WorkingTreeSnapshot
{
    /// <summary>Identity of snapshot commits, so a laptop without user.name/user.email configured still works.</summary>
    private static readonly IReadOnlyDictionary<string, string> Identity = new Dictionary<string, string>
    {
        ["GIT_AUTHOR_NAME"] = "Patchwire",
        ["GIT_AUTHOR_EMAIL"] = "patchwire@localhost",
        ["GIT_COMMITTER_NAME"] = "Patchwire",
        ["GIT_COMMITTER_EMAIL"] = "patchwire@localhost",
    };

    /// <summary>Settings that keep our commands from writing anything the user would see.</summary>
    private static readonly string[] QuietConfig =
    {
        "-c", "core.logAllRefUpdates=false", // no reflog for our ref, even with logAllRefUpdates=always
        "-c", "advice.addEmbeddedRepo=false",
        "-c", "core.quotePath=false",
        "-c", "gc.auto=0",
        "-c", "maintenance.auto=false",
        "-c", "core.fsync=none", // our ref and index are reproducible; an fsync can wait on the whole journal
        "-c", "core.untrackedCache=true",
    };

    private readonly GitCli _git;

    private WorkingTreeSnapshot(string project, string workTree, string prefix, string stateDirectory, string? realIndex, bool privateRepository, GitCli git)
    {
        Project = project;
        WorkTree = workTree;
        Prefix = prefix;
        StateDirectory = stateDirectory;
        RealIndex = realIndex;
        PrivateRepository = privateRepository;
        _git = git;
    }

    public string Project { get; }
    /// <summary>Top of the work tree git sees.</summary>
    public string WorkTree { get; }
    /// <summary>The project folder relative to <see cref="WorkTree"/>, with a trailing '/', or "" when they are the same.</summary>
    public string Prefix { get; }
    /// <summary>Our own files: private index, excludes, lock.</summary>
    public string StateDirectory { get; }
    /// <summary>The user's index (read, never written); null for a plain folder.</summary>
    public string? RealIndex { get; }
    /// <summary>True when the folder is not a git repository and snapshots live in a private repository under $PW_HOME.</summary>
    public bool PrivateRepository { get; }
    public string Ref => SnapshotRef(Project);
    public string PrivateIndex => Path.Combine(StateDirectory, "index-" + Project);
    /// <summary>Size and time of the developer's index when the private index was last reconciled with it.</summary>
    private string RealIndexStampFile => Path.Combine(StateDirectory, "real-index-" + Project);
    /// <summary>True when git's builtin fsmonitor daemon watches the work tree for the private index.</summary>
    public bool Fsmonitor { get; private set; }
    public string LockFile => Path.Combine(StateDirectory, "sync-" + Project + ".lock");
    public GitCli Git => _git;

    public static string SnapshotRef(string project) => GitRefs.Snapshot(project);

    /// <summary>Finds the repository of <paramref name="projectRoot"/>, or prepares a private one when it is a plain folder.</summary>
    public static Task<WorkingTreeSnapshot> OpenAsync(string projectRoot, string project, CancellationToken cancellationToken) =>
        OpenAsync(projectRoot, project, null, fsmonitor: false, cancellationToken);

    /// <param name="home">The laptop's PW_HOME; null reads it from the environment.</param>
    /// <param name="fsmonitor">sync.fsmonitor: honoured where git has its builtin daemon (macOS, Windows).</param>
    public static async Task<WorkingTreeSnapshot> OpenAsync(string projectRoot, string project, string? home, bool fsmonitor, CancellationToken cancellationToken)
    {
        home ??= PatchwireHome.FromEnvironment().Home;
        if (NameRules.Check(project, "project name") is { } nameError)
            throw new SyncException($"'{project}' cannot be a project name: {nameError}. Set 'project:' in patchwire.yml.");
        if (!Directory.Exists(projectRoot))
            throw new SyncException($"The project folder '{projectRoot}' does not exist.");
        var root = Path.GetFullPath(projectRoot);
        var probe = new GitCli(root);
        var found = await probe.RunAsync(new[] { "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-toplevel", "--show-prefix", "--git-path", "index" }, cancellationToken).ConfigureAwait(false);
        if (found.Success)
        {
            var lines = found.Stdout.Replace("\r", "").Split('\n');
            if (lines.Length < 5 || lines[0] == "true" || lines[2].Length == 0)
                throw new SyncException($"'{root}' is inside a git directory or a bare repository, not a working tree. Run the sync from the project folder.");
            var gitDir = lines[1];
            var top = lines[2];
            var prefix = lines[3];
            var index = Path.Combine(root, lines[4]);
            var state = Path.Combine(home, "sync", SafeName(Path.GetFileName(top.TrimEnd('/', '\\'))) + "-" + ShortHash(gitDir + "\n" + top));
            var useFsmonitor = fsmonitor && HasBuiltinFsmonitor;
            var config = useFsmonitor ? QuietConfig.Concat(new[] { "-c", "core.fsmonitor=true" }).ToList() : (IReadOnlyList<string>)QuietConfig;
            var git = new GitCli(top, config, Identity);
            return new WorkingTreeSnapshot(project, top, prefix, state, index, privateRepository: false, git) { Fsmonitor = useFsmonitor };
        }
        if (found.Stderr.IndexOf("not a git repository", StringComparison.OrdinalIgnoreCase) < 0)
            throw new SyncException($"git cannot read '{root}': {GitCli.FirstLines(found.Stderr)}");

        var folderName = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var stateDir = Path.Combine(home, "sync", SafeName(folderName) + "-" + ShortHash(root));
        var privateGitDir = Path.Combine(stateDir, "git");
        if (!File.Exists(Path.Combine(privateGitDir, "HEAD")))
        {
            Directory.CreateDirectory(stateDir);
            await new GitCli(stateDir).RunCheckedAsync(new[] { "init", "--bare", "-q", privateGitDir }, cancellationToken).ConfigureAwait(false);
            File.WriteAllText(Path.Combine(stateDir, "folder.txt"), root + "\n");
        }
        var privateGit = new GitCli(root, new[] { "--git-dir=" + privateGitDir, "--work-tree=" + root }.Concat(QuietConfig).ToList(), Identity);
        return new WorkingTreeSnapshot(project, root, "", stateDir, null, privateRepository: true, privateGit);
    }

    /// <summary>
    /// Writes the tree of the working tree (tracked plus untracked-not-ignored, minus the excludes) and returns its id,
    /// using only the private index.
    /// </summary>
    public async Task<string> WriteTreeAsync(IReadOnlyList<string> excludes, CancellationToken cancellationToken)
    {
        var kept = File.Exists(PrivateIndex);
        if (kept && !LooksLikeAnIndex(PrivateIndex))
        {
            File.Delete(PrivateIndex);
            kept = false;
        }
        try
        {
            return await WriteTreeOnceAsync(excludes, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C killed git (and waited for it): a lock it held on the private index would stay behind. The private
            // index itself is whole, as git only ever renames a finished lock file over it.
            if (File.Exists(PrivateIndex + ".lock")) File.Delete(PrivateIndex + ".lock");
            throw;
        }
        catch (GitCommandException) when (kept && File.Exists(PrivateIndex))
        {
            // A private index left damaged (a sync killed while writing it, a full disk) fails in many ways
            // (git has answered one with "out of memory"): start it again from scratch, once.
            File.Delete(PrivateIndex);
            return await WriteTreeOnceAsync(excludes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>git's index header: "DIRC", version 2 to 4, and no more entries than the file could hold.</summary>
    private static bool LooksLikeAnIndex(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var header = new byte[12];
            if (stream.Read(header, 0, 12) != 12) return false;
            if (header[0] != 'D' || header[1] != 'I' || header[2] != 'R' || header[3] != 'C') return false;
            var version = (header[4] << 24) | (header[5] << 16) | (header[6] << 8) | header[7];
            long entries = (uint)((header[8] << 24) | (header[9] << 16) | (header[10] << 8) | header[11]);
            var smallestEntry = version == 4 ? 42 : 62;
            return version is >= 2 and <= 4 && 12 + entries * smallestEntry + 20 <= stream.Length;
        }
        catch (IOException) { return false; }
    }

    private async Task<string> WriteTreeOnceAsync(IReadOnlyList<string> excludes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(StateDirectory);
        var syncExcludes = Path.Combine(StateDirectory, "exclude-" + Project);
        var syncPatterns = ExcludePatterns(excludes);
        WriteIfChanged(syncExcludes, string.Join("\n", syncPatterns) + "\n");

        var scope = Prefix.Length == 0 ? "." : ":(top,literal)" + Prefix;
        var reconcile = await PreparePrivateIndexAsync(scope, cancellationToken).ConfigureAwait(false);
        var env = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = PrivateIndex };
        var git = _git.With(env);
        if (excludes.Count > 0)
        {
            // So `git add` never even reads excluded files, sync.exclude joins the ignore rules. core.excludesFile takes one
            // file, so the user's own global excludes are copied in first. (.patchwire/ alone is cheaper to drop afterwards.)
            var combinedExcludes = Path.Combine(StateDirectory, "ignore-" + Project);
            var userExcludes = await UserExcludesAsync(cancellationToken).ConfigureAwait(false);
            WriteIfChanged(combinedExcludes, userExcludes + "\n" + string.Join("\n", syncPatterns) + "\n");
            git = _git.With(env, "-c", "core.excludesFile=" + combinedExcludes.Replace('\\', '/'));
        }
        await AddChangesAsync(git, scope, cancellationToken).ConfigureAwait(false);
        if (reconcile) await ReconcileTrackedIgnoredAsync(git, scope, cancellationToken).ConfigureAwait(false);

        // Tracked files under sync.exclude or .patchwire/ (and, in a private repository, files that became ignored since the last sync).
        var lsArgs = new List<string> { "ls-files", "-z", "--cached", "--ignored", "--exclude-from=" + syncExcludes };
        if (PrivateRepository) lsArgs.Add("--exclude-standard");
        lsArgs.Add("--");
        lsArgs.Add(scope);
        var excluded = await git.RunCheckedAsync(lsArgs, cancellationToken).ConfigureAwait(false);
        if (excluded.Length > 0)
            await git.RunCheckedAsync(new[] { "update-index", "-z", "--force-remove", "--stdin" }, cancellationToken, Encoding.UTF8.GetBytes(excluded)).ConfigureAwait(false);

        var writeTree = new List<string> { "write-tree" };
        if (Prefix.Length > 0) writeTree.Add("--prefix=" + Prefix);
        var written = await git.RunAsync(writeTree, cancellationToken).ConfigureAwait(false);
        if (!written.Success)
        {
            if (Prefix.Length > 0 && written.Stderr.IndexOf("not found", StringComparison.OrdinalIgnoreCase) >= 0) return EmptyTree; // nothing under the subfolder
            throw new GitCommandException("git write-tree failed: " + GitCli.FirstLines(written.Stderr), written.Stderr);
        }
        return written.Stdout.Trim();
    }

    public const string EmptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    /// <summary>The current snapshot on our ref, or null.</summary>
    public async Task<SnapshotCommit?> CurrentAsync(CancellationToken cancellationToken)
    {
        var line = (await _git.RunCheckedAsync(new[] { "for-each-ref", "--format=%(objectname) %(tree) %(parent)", Ref }, cancellationToken).ConfigureAwait(false)).Trim();
        if (line.Length == 0) return null;
        var parts = line.Split(' ');
        return new SnapshotCommit(parts[0], parts[1], parts.Length > 2 && parts[2].Length > 0 ? parts[2] : null);
    }

    /// <summary>
    /// The submodules (gitlinks) in <paramref name="tree"/>, relative to the project folder. Their folders reach the
    /// agent empty: the snapshot holds only the commit they point at. Worked out from the changes since the last
    /// answer (kept in the state folder), so an unchanged or slightly changed tree costs next to nothing.
    /// </summary>
    public async Task<IReadOnlyList<string>> SubmodulesAsync(string tree, CancellationToken cancellationToken)
    {
        var cacheFile = Path.Combine(StateDirectory, "submodules-" + Project);
        var cached = File.Exists(cacheFile) ? File.ReadAllText(cacheFile).Split(new[] { '\0' }, StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();
        SortedSet<string> paths;
        if (cached.Length > 0 && ObjectIds.IsObjectId(cached[0]))
        {
            if (cached[0] == tree) return Relative(cached.Skip(1));
            paths = new SortedSet<string>(cached.Skip(1), StringComparer.Ordinal);
            var diff = await _git.RunCheckedAsync(new[] { "diff-tree", "-r", "-z", "--no-renames", cached[0], tree }, cancellationToken).ConfigureAwait(false);
            var fields = diff.Split('\0');
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                var meta = fields[i].TrimStart(':').Split(' ');
                if (meta.Length < 2) continue;
                if (meta[0] == GitlinkMode) paths.Remove(fields[i + 1]);
                if (meta[1] == GitlinkMode) paths.Add(fields[i + 1]);
            }
        }
        else
        {
            paths = new SortedSet<string>(StringComparer.Ordinal);
            var listing = await _git.RunCheckedAsync(new[] { "ls-tree", "-r", "-z", "--full-tree", tree }, cancellationToken).ConfigureAwait(false);
            foreach (var entry in listing.Split(new[] { '\0' }, StringSplitOptions.RemoveEmptyEntries))
                if (entry.StartsWith(GitlinkMode + " ", StringComparison.Ordinal)) paths.Add(entry.Substring(entry.IndexOf('\t') + 1));
        }
        Directory.CreateDirectory(StateDirectory);
        File.WriteAllText(cacheFile, tree + "\0" + string.Concat(paths.Select(p => p + "\0")));
        return Relative(paths);
    }

    private IReadOnlyList<string> Relative(IEnumerable<string> topPaths) =>
        topPaths.Select(p => Prefix.Length > 0 && p.StartsWith(Prefix, StringComparison.Ordinal) ? p.Substring(Prefix.Length) : p).ToList();

    private const string GitlinkMode = "160000";

    public async Task<bool> HasCommitAsync(string commit, CancellationToken cancellationToken) =>
        ObjectIds.IsObjectId(commit) && (await _git.RunAsync(new[] { "cat-file", "-e", commit + "^{commit}" }, cancellationToken).ConfigureAwait(false)).Success;

    /// <summary>Commits <paramref name="tree"/> with the given parent and points our ref at it.</summary>
    public async Task<SnapshotCommit> CommitAsync(string tree, string? parent, CancellationToken cancellationToken)
    {
        var args = new List<string> { "commit-tree", "--no-gpg-sign", tree, "-m", "Patchwire snapshot of " + Project };
        if (parent is not null) { args.Add("-p"); args.Add(parent); }
        var commit = (await _git.RunCheckedAsync(args, cancellationToken).ConfigureAwait(false)).Trim();
        await _git.RunCheckedAsync(new[] { "update-ref", "-m", "patchwire sync", Ref, commit }, cancellationToken).ConfigureAwait(false);
        return new SnapshotCommit(commit, tree, parent);
    }

    /// <summary>
    /// In a private repository (a plain folder), at most once per PW_SYNC_MAINTENANCE_SEC (default an hour): cut the
    /// snapshot chain below the current snapshots with git's shallow boundary and repack, so old snapshots do not pile
    /// up. A git repository's own object store is never pruned by us (that would mean writing its shallow file).
    /// The caller holds the sync lock. True when a prune ran.
    /// </summary>
    public async Task<bool> PruneIfDueAsync(CancellationToken cancellationToken)
    {
        if (!PrivateRepository) return false;
        var stampFile = Path.Combine(StateDirectory, "pruned");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var text = File.Exists(stampFile) ? File.ReadAllText(stampFile).Trim() : "";
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last))
        {
            File.WriteAllText(stampFile, now.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return false;
        }
        if (now - last < MaintenanceInterval.TotalSeconds) return false;

        var tips = (await _git.RunCheckedAsync(new[] { "for-each-ref", "--format=%(objectname)", GitRefs.SnapshotPrefix }, cancellationToken).ConfigureAwait(false))
            .Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).OrderBy(t => t, StringComparer.Ordinal).ToList();
        if (tips.Count == 0) return false;
        var gitDir = Path.Combine(StateDirectory, "git");
        File.WriteAllText(Path.Combine(gitDir, "shallow"), string.Concat(tips.Select(t => t + "\n")));
        await _git.RunCheckedAsync(new[] { "-c", "pack.window=0", "-c", "repack.writeBitmaps=false", "repack", "-a", "-d", "-q" }, cancellationToken).ConfigureAwait(false);
        await _git.RunCheckedAsync(new[] { "prune", "--expire=now" }, cancellationToken).ConfigureAwait(false);
        File.WriteAllText(stampFile, now.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>PW_SYNC_MAINTENANCE_SEC, as on the agent; an hour when unset or malformed.</summary>
    private static TimeSpan MaintenanceInterval =>
        long.TryParse(System.Environment.GetEnvironmentVariable("PW_SYNC_MAINTENANCE_SEC"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromHours(1);


    /// <summary>
    /// Readies the private index; true when it must then be reconciled with the developer's index. In a repository it
    /// is first made as a copy of the developer's index (so "tracked" means what the user tracks, and its stat data is
    /// reused), keeping the original's mtime: git's racy-entry check compares entry times with the index file's own
    /// time, and a newer copy could hide a same-second edit. After that it lives on; only when the developer's index
    /// has changed since are the tracked-but-ignored files brought in line. A conflicted developer index (a merge or
    /// rebase stopped on conflicts) stops the sync before anything is written.
    /// </summary>
    private async Task<bool> PreparePrivateIndexAsync(string scope, CancellationToken cancellationToken)
    {
        // Our FileLock is held, so a lock file on the private index is left over from a killed sync.
        if (File.Exists(PrivateIndex + ".lock")) File.Delete(PrivateIndex + ".lock");
        if (PrivateRepository) return false; // it is the only index that folder has
        var stamp = RealIndex is not null && File.Exists(RealIndex) ? RealIndexStamp(RealIndex) : "none";
        var recorded = File.Exists(RealIndexStampFile) ? File.ReadAllText(RealIndexStampFile) : null;
        var seeded = File.Exists(PrivateIndex);
        if (seeded && stamp == recorded) return false;

        if (stamp != "none") await RefuseConflictsAsync(scope, cancellationToken).ConfigureAwait(false);
        if (!seeded)
        {
            if (stamp != "none")
            {
                File.Copy(RealIndex!, PrivateIndex, overwrite: true);
                File.SetLastWriteTimeUtc(PrivateIndex, File.GetLastWriteTimeUtc(RealIndex!));
            }
        }
        File.WriteAllText(RealIndexStampFile, stamp);
        return seeded;
    }

    private static string RealIndexStamp(string path)
    {
        var info = new FileInfo(path);
        return info.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + info.LastWriteTimeUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the sync when the developer's index holds unmerged entries; reads it only.</summary>
    private async Task RefuseConflictsAsync(string scope, CancellationToken cancellationToken)
    {
        var unmerged = await _git.RunCheckedAsync(new[] { "ls-files", "-z", "--unmerged", "--", scope }, cancellationToken).ConfigureAwait(false);
        if (unmerged.Length == 0) return;
        var paths = unmerged.Split(new[] { '\0' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Substring(e.IndexOf('\t') + 1)).Distinct(StringComparer.Ordinal).ToList();
        var gitDir = (await _git.RunCheckedAsync(new[] { "rev-parse", "--absolute-git-dir" }, cancellationToken).ConfigureAwait(false)).Trim();
        var operation =
            Directory.Exists(Path.Combine(gitDir, "rebase-merge")) || Directory.Exists(Path.Combine(gitDir, "rebase-apply")) ? "a rebase" :
            File.Exists(Path.Combine(gitDir, "MERGE_HEAD")) ? "a merge" :
            File.Exists(Path.Combine(gitDir, "CHERRY_PICK_HEAD")) ? "a cherry-pick" :
            File.Exists(Path.Combine(gitDir, "REVERT_HEAD")) ? "a revert" : "an operation that left conflicts (a stash pop?)";
        var shown = string.Join(", ", paths.Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");
        throw new SyncException($"'{WorkTree}' is in the middle of {operation} with unresolved conflicts in {paths.Count} file(s): {shown}. " +
            "Resolve them and 'git add' the files (or abort the operation), then sync again. Nothing was sent and nothing was changed.");
    }

    /// <summary>
    /// What `git add -A` does, at the cost of one lstat per file and one stat per folder: `git status` (which refreshes
    /// the private index's stat data and, for a whole work tree, reads folders through git's untracked cache, which
    /// `git add` never uses) names what changed, and only those paths are then added. A new untracked folder is
    /// named as a folder and added whole (its ignore rules apply).
    /// </summary>
    private async Task AddChangesAsync(GitCli git, string scope, CancellationToken cancellationToken)
    {
        var statusArgs = new List<string> { "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=normal", "--ignore-submodules=dirty" };
        // The untracked cache only serves a whole-tree status; a subfolder project pays a full folder walk.
        if (Prefix.Length > 0) { statusArgs.Add("--"); statusArgs.Add(scope); }
        var status = await git.With(new Dictionary<string, string> { ["GIT_OPTIONAL_LOCKS"] = "1" })
            .RunCheckedAsync(statusArgs, cancellationToken).ConfigureAwait(false);
        var changed = new List<string>();
        foreach (var entry in status.Split(new[] { '\0' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Length < 4) continue;
            // "XY path": X is the private index against HEAD (not ours to care about), Y the work tree against it.
            var untracked = entry[0] == '?' && entry[1] == '?';
            if (!untracked && entry[1] == ' ') continue;
            changed.Add(entry.Substring(3).TrimEnd('/'));
        }
        if (changed.Count == 0) return;
        var literal = git.With(new Dictionary<string, string> { ["GIT_LITERAL_PATHSPECS"] = "1" });
        await literal.RunCheckedAsync(new[] { "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul" }, cancellationToken,
            Encoding.UTF8.GetBytes(string.Concat(changed.Select(p => p + "\0")))).ConfigureAwait(false);
    }

    /// <summary>Files the developer tracks although .gitignore matches them (and `git add -A` therefore skips) follow the developer's index.</summary>
    private async Task ReconcileTrackedIgnoredAsync(GitCli privateGit, string scope, CancellationToken cancellationToken)
    {
        var listArgs = new[] { "ls-files", "-z", "--cached", "--ignored", "--exclude-standard", "--", scope };
        var theirs = Split(await _git.RunCheckedAsync(listArgs, cancellationToken).ConfigureAwait(false));
        var ours = Split(await privateGit.RunCheckedAsync(listArgs, cancellationToken).ConfigureAwait(false));
        var add = theirs.Where(p => !ours.Contains(p) && (File.Exists(Path.Combine(WorkTree, p)) || Directory.Exists(Path.Combine(WorkTree, p)))).ToList();
        var remove = ours.Where(p => !theirs.Contains(p)).ToList();
        if (add.Count > 0)
            await privateGit.RunCheckedAsync(new[] { "update-index", "-z", "--add", "--stdin" }, cancellationToken, Encoding.UTF8.GetBytes(string.Concat(add.Select(p => p + "\0")))).ConfigureAwait(false);
        if (remove.Count > 0)
            await privateGit.RunCheckedAsync(new[] { "update-index", "-z", "--force-remove", "--stdin" }, cancellationToken, Encoding.UTF8.GetBytes(string.Concat(remove.Select(p => p + "\0")))).ConfigureAwait(false);
    }

    private static HashSet<string> Split(string nulSeparated) =>
        new(nulSeparated.Split(new[] { '\0' }, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    /// <summary>Where git has its builtin fsmonitor daemon (git for Windows and macOS); never on Linux.</summary>
    private static bool HasBuiltinFsmonitor =>
        System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows) ||
        System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.OSX);

    /// <summary>sync.exclude plus .patchwire/, rewritten relative to the work tree top when the project is a subfolder.</summary>
    private IReadOnlyList<string> ExcludePatterns(IReadOnlyList<string> excludes)
    {
        var result = new List<string>();
        foreach (var raw in excludes.Concat(new[] { ".patchwire/" }))
        {
            var pattern = raw.TrimEnd('\r', '\n');
            if (pattern.Trim().Length == 0 || pattern.StartsWith("#", StringComparison.Ordinal)) continue;
            var negate = pattern.StartsWith("!", StringComparison.Ordinal);
            var body = negate ? pattern.Substring(1) : pattern;
            if (Prefix.Length > 0)
            {
                var trimmed = body.TrimEnd('/');
                var anchored = trimmed.Contains("/");
                if (anchored) body = "/" + Prefix + body.TrimStart('/');
            }
            result.Add((negate ? "!" : "") + body);
        }
        return result;
    }

    /// <summary>The user's global excludes file (core.excludesFile, else $XDG_CONFIG_HOME/git/ignore), which our override would otherwise hide.</summary>
    private async Task<string> UserExcludesAsync(CancellationToken cancellationToken)
    {
        var configured = await _git.RunAsync(new[] { "config", "--path", "core.excludesFile" }, cancellationToken).ConfigureAwait(false);
        string? path = configured.Success ? configured.Stdout.Trim() : null;
        if (string.IsNullOrEmpty(path))
        {
            var xdg = System.Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var home = System.Environment.GetEnvironmentVariable("HOME") ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
            path = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg!, "git", "ignore") : Path.Combine(home, ".config", "git", "ignore");
        }
        try { return File.Exists(path) ? File.ReadAllText(path) : ""; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static void WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content) return;
        File.WriteAllText(path, content);
    }

    private static string SafeName(string name)
    {
        var safe = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return safe.Length == 0 ? "folder" : safe.Length > 40 ? safe.Substring(0, 40) : safe;
    }

    private static string ShortHash(string text)
    {
        using var sha = SHA256.Create();
        var bytes = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        return string.Concat(bytes.Take(6).Select(b => b.ToString("x2")));
    }
}

/// <summary>A sync that cannot go ahead, with a message that says what to do.</summary>
public sealed class SyncException(string message, Exception? inner = null)
    : PatchwireException(message, ErrorIds.SyncFailed, ErrorCategory.InvalidOperation, null, inner);
