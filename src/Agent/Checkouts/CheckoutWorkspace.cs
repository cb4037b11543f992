using System.Text.RegularExpressions;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Checkouts;

/// <summary>
/// The git side of a run, through the git CLI: pre-flight checks, starting from a baseline, capturing everything
/// the AI changed as a binary-safe patch (through a private index, so HEAD, the real index and the stash are left
/// alone), and putting the checkout back to exactly its pre-run tree. Ignored files are never removed.
/// </summary>
public static partial class CheckoutWorkspace
{
    [GeneratedRegex("^[0-9a-fA-F]{4,64}$")]
    private static partial Regex CommitIdPattern();

    public static bool IsCommitIdShape(string value) => CommitIdPattern().IsMatch(value);

    /// <summary>
    /// One git call for what a run needs to know: the work tree's top level, the index file, the HEAD commit and the
    /// ref HEAD points at. Null when <paramref name="path"/> is not in a git work tree or HEAD has no commit.
    /// </summary>
    public static async Task<CheckoutProbe?> ProbeAsync(string path)
    {
        if (!GitDirGuard.HasOwnRepository(path)) return null;
        var result = await AgentGit.RunAsync(path, new[] { "rev-parse", "--show-toplevel", "--git-path", "index", "HEAD^{commit}", "--symbolic-full-name", "HEAD" });
        if (!result.Ok) return null;
        var lines = result.Stdout.Split('\n');
        if (lines.Length < 4 || lines[0].Length == 0) return null;
        var index = Path.IsPathRooted(lines[1]) ? lines[1] : Path.Combine(path, lines[1]);
        var headRef = lines[3].StartsWith("refs/", StringComparison.Ordinal) ? lines[3] : null;
        return new CheckoutProbe(lines[0], index, lines[2], headRef);
    }

    /// <summary>True when <paramref name="path"/> is the top level of a git work tree that has at least one commit.</summary>
    public static async Task<bool> IsRepositoryRootAsync(string path) =>
        await ProbeAsync(path) is { } probe && IsTopLevel(probe, path);

    private static bool IsTopLevel(CheckoutProbe probe, string path) =>
        string.Equals(ProjectPaths.RealPath(probe.TopLevel).TrimEnd('/'), ProjectPaths.RealPath(path).TrimEnd('/'), StringComparison.Ordinal);

    /// <summary><c>git status --porcelain</c>: empty when clean (ignored files do not count).</summary>
    public static Task<string> StatusAsync(string path) =>
        AgentGit.RunCheckedAsync(path, new[] { "status", "--porcelain", "--untracked-files=all" });

    /// <summary>The full id of <paramref name="commitish"/> when it names a commit in the checkout's repository.</summary>
    public static async Task<string?> ResolveCommitAsync(string path, string commitish)
    {
        if (!IsCommitIdShape(commitish)) return null;
        var result = await AgentGit.RunAsync(path, new[] { "rev-parse", "--verify", "-q", commitish + "^{commit}" });
        return result.Ok ? result.Stdout.Trim() : null;
    }

    /// <summary>The state to come back to when the run starts from the checkout as it is (HEAD, clean tree).</summary>
    public static async Task<CheckoutState> CurrentStateAsync(string path)
    {
        var probe = await ProbeAsync(path);
        if (probe is null || !IsTopLevel(probe, path)) throw new GitException($"{path} is no longer the top level of a git repository with a commit");
        return new CheckoutState(path, probe.HeadCommit, probe.HeadRef, probe.IndexFile);
    }

    /// <summary>Puts the work tree at exactly <paramref name="commit"/>'s tree, HEAD detached there; stray files removed, ignored files kept.</summary>
    public static async Task CheckoutBaselineAsync(string path, string commit)
    {
        await AgentGit.RunCheckedAsync(path, new[] { "checkout", "-q", "-f", "--detach", commit });
        await AgentGit.RunCheckedAsync(path, new[] { "clean", "-ffdq" });
    }

    /// <summary>
    /// Copies the real index to <paramref name="privateIndex"/> so the capture starts with warm stat data and the real
    /// index stays untouched; returns the real index's path.
    /// </summary>
    public static async Task<string?> SnapshotIndexAsync(CheckoutState state, string privateIndex)
    {
        var indexFile = state.IndexFile ?? (await ProbeAsync(state.Path))?.IndexFile;
        Directory.CreateDirectory(Path.GetDirectoryName(privateIndex)!);
        if (indexFile is not null && File.Exists(indexFile))
        {
            File.Copy(indexFile, privateIndex, overwrite: true);
            OwnerOnly.Apply(privateIndex); // File.Copy keeps the checkout index's mode (0644 in a clone)
            return indexFile;
        }
        await AgentGit.RunCheckedAsync(state.Path, new[] { "read-tree", state.BaseCommit }, indexFile: privateIndex);
        return indexFile;
    }

    /// <summary>The patch from the pre-run commit to the work tree as it is now: edits, new, deleted, renamed, mode-changed and binary files.</summary>
    /// <exception cref="DiffTooLargeException">The patch is larger than <paramref name="maxPatchBytes"/> (no more of it was read).</exception>
    public static async Task<CapturedDiff> CaptureAsync(CheckoutState state, string privateIndex, long maxPatchBytes)
    {
        if (!File.Exists(privateIndex)) await SnapshotIndexAsync(state, privateIndex);
        await AgentGit.RunCheckedAsync(state.Path, new[] { "add", "-A", "--", "." }, indexFile: privateIndex);
        var (diff, patch) = await AgentGit.RunCappedAsync(state.Path,
            new[] { "diff", "--cached", "--no-ext-diff", "--no-textconv", "--binary", "-M", state.BaseCommit, "--" }, maxPatchBytes, privateIndex);
        if (patch is null) throw new DiffTooLargeException(maxPatchBytes);
        if (!diff.Ok) throw new GitException($"git diff failed ({diff.ExitCode}): {diff.FirstErrorLine}");
        var summary = await AgentGit.RunCheckedAsync(state.Path,
            new[] { "diff", "--cached", "--no-ext-diff", "--no-textconv", "-M", "--raw", "--numstat", "-z", state.BaseCommit, "--" }, indexFile: privateIndex);
        return new CapturedDiff(patch, ParseRawNumstat(summary));
    }

    /// <summary>
    /// Back to exactly the pre-run state: the ref and HEAD as they were, the tree and index of the base commit,
    /// untracked files and folders removed, ignored files kept.
    /// </summary>
    /// <param name="treeUnchanged">
    /// The caller knows the work tree and the real index are as before (an empty capture and an index file identical to
    /// its pre-run copy); then, if HEAD is unchanged too, the reset is skipped. Stray empty folders are removed either way.
    /// </param>
    public static async Task RestoreAsync(CheckoutState state, bool treeUnchanged = false)
    {
        var args = new List<string> { "rev-parse", "HEAD" };
        if (state.HeadRef is not null) args.Add(state.HeadRef);
        args.AddRange(new[] { "--symbolic-full-name", "HEAD" });
        var probe = await AgentGit.RunAsync(state.Path, args);
        var lines = probe.Ok ? probe.Stdout.Split('\n') : Array.Empty<string>();
        var headNow = lines.Length > 0 ? lines[0] : null;
        var refNow = state.HeadRef is not null && lines.Length > 1 ? lines[1] : null;
        var symbolicNow = lines.Length > (state.HeadRef is null ? 1 : 2) ? lines[state.HeadRef is null ? 1 : 2] : null;
        var currentRef = symbolicNow is not null && symbolicNow.StartsWith("refs/", StringComparison.Ordinal) ? symbolicNow : null;

        var headMoved = false;
        if (state.HeadRef is not null)
        {
            if (refNow != state.BaseCommit)
            {
                await AgentGit.RunCheckedAsync(state.Path, new[] { "update-ref", "-m", "patchwire: restore after run", state.HeadRef, state.BaseCommit });
                headMoved = true;
            }
            if (currentRef != state.HeadRef)
            {
                await AgentGit.RunCheckedAsync(state.Path, new[] { "symbolic-ref", "HEAD", state.HeadRef });
                headMoved = true;
            }
        }
        else if (currentRef is not null || headNow != state.BaseCommit)
        {
            await AgentGit.RunCheckedAsync(state.Path, new[] { "update-ref", "--no-deref", "-m", "patchwire: restore after run", "HEAD", state.BaseCommit });
            headMoved = true;
        }
        if (!treeUnchanged || headMoved || !probe.Ok)
            await AgentGit.RunCheckedAsync(state.Path, new[] { "reset", "-q", "--hard", state.BaseCommit });
        await AgentGit.RunCheckedAsync(state.Path, new[] { "clean", "-ffdq" });
    }

    /// <summary>Parses <c>git diff --raw --numstat -z</c>: all raw records first, then the numstat records in the same order.</summary>
    internal static List<FileChange> ParseRawNumstat(string output)
    {
        var tokens = output.Split('\0');
        var raw = new List<(string Status, string Path, string? OldPath)>();
        var counts = new List<(int? Added, int? Deleted)>();
        var i = 0;
        while (i < tokens.Length)
        {
            var token = tokens[i];
            if (token.Length == 0) { i++; continue; }
            if (token[0] == ':')
            {
                var fields = token.Split(' ');
                var status = fields[^1];
                var letter = status.Substring(0, 1);
                if ((letter == "R" || letter == "C") && i + 2 < tokens.Length)
                {
                    raw.Add((letter, tokens[i + 2], tokens[i + 1]));
                    i += 3;
                }
                else
                {
                    raw.Add((letter, tokens[i + 1], null));
                    i += 2;
                }
                continue;
            }
            var parts = token.Split('\t', 3);
            int? added = parts.Length > 0 && int.TryParse(parts[0], out var a) ? a : null;
            int? deleted = parts.Length > 1 && int.TryParse(parts[1], out var d) ? d : null;
            counts.Add((added, deleted));
            i += parts.Length == 3 && parts[2].Length == 0 ? 3 : 1;
        }
        var changes = new List<FileChange>(raw.Count);
        for (var k = 0; k < raw.Count; k++)
        {
            var (added, deleted) = k < counts.Count ? counts[k] : (null, null);
            changes.Add(new FileChange(raw[k].Path, raw[k].Status, added, deleted, raw[k].OldPath));
        }
        return changes;
    }
}
