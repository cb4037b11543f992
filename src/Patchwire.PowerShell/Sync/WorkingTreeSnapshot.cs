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
    public string LockFile => Path.Combine(StateDirectory, "sync-" + Project + ".lock");
    public GitCli Git => _git;

    public static string SnapshotRef(string project) => GitRefs.Snapshot(project);

    /// <summary>Finds the repository of <paramref name="projectRoot"/>, or prepares a private one when it is a plain folder.</summary>
    public static async Task<WorkingTreeSnapshot> OpenAsync(string projectRoot, string project, CancellationToken cancellationToken)
    {
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
            var state = Path.Combine(gitDir, "patchwire");
            var git = new GitCli(top, QuietConfig, Identity);
            return new WorkingTreeSnapshot(project, top, prefix, state, index, privateRepository: false, git);
        }
        if (found.Stderr.IndexOf("not a git repository", StringComparison.OrdinalIgnoreCase) < 0)
            throw new SyncException($"git cannot read '{root}': {GitCli.FirstLines(found.Stderr)}");

        var home = PatchwireHome.FromEnvironment().Home;
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
        Directory.CreateDirectory(StateDirectory);
        var syncExcludes = Path.Combine(StateDirectory, "exclude-" + Project);
        var syncPatterns = ExcludePatterns(excludes);
        WriteIfChanged(syncExcludes, string.Join("\n", syncPatterns) + "\n");

        PreparePrivateIndex();
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
        var scope = Prefix.Length == 0 ? "." : ":(top,literal)" + Prefix;
        await git.RunCheckedAsync(new[] { "add", "-A", "--", scope }, cancellationToken).ConfigureAwait(false);

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
    /// In a repository the private index starts each time as a copy of the real one, so "tracked" means what the user
    /// tracks and its stat cache keeps `git add -A` fast. The copy keeps the original's mtime: git's racy-entry check
    /// compares entry times with the index file's own time, and a newer copy could hide a same-second edit.
    /// </summary>
    private void PreparePrivateIndex()
    {
        // Our FileLock is held, so a lock file on the private index is left over from a killed sync.
        if (File.Exists(PrivateIndex + ".lock")) File.Delete(PrivateIndex + ".lock");
        if (PrivateRepository) return; // persistent: it is the only index that folder has
        if (RealIndex is not null && File.Exists(RealIndex))
        {
            File.Copy(RealIndex, PrivateIndex, overwrite: true);
            File.SetLastWriteTimeUtc(PrivateIndex, File.GetLastWriteTimeUtc(RealIndex));
        }
        else if (File.Exists(PrivateIndex))
        {
            File.Delete(PrivateIndex);
        }
    }

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
