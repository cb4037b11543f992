using System.Management.Automation;
using System.Text;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Sync;
using System.Text.RegularExpressions;

namespace Patchwire.PowerShell.Patch;

public enum PatchApplyMethod
{
    /// <summary>'git apply': the patch matched the working tree as it is.</summary>
    Direct,
    /// <summary>'git apply --3way': the tree moved since the patch was made, and git merged cleanly.</summary>
    ThreeWay,
    /// <summary>The working tree already holds the patch's changes; nothing was changed.</summary>
    AlreadyApplied,
}

/// <summary>What applying a patch did.</summary>
public sealed class PatchwireApplyResult
{
    public string ProjectRoot { get; set; } = "";
    public PatchApplyMethod Method { get; set; }
    public PatchwireFileChange[] Files { get; set; } = Array.Empty<PatchwireFileChange>();
    public int LinesAdded => Files.Sum(f => f.LinesAdded);
    public int LinesRemoved => Files.Sum(f => f.LinesRemoved);
}

/// <summary>A patch that could not be applied. Nothing was changed; when it was saved, <see cref="SavedPatch"/> says where.</summary>
public sealed class PatchApplyException(string message, string? savedPatch, IReadOnlyList<string> conflicts, string gitOutput)
    : PatchwireException(message, conflicts.Count > 0 ? ErrorIds.ApplyConflict : ErrorIds.ApplyDoesNotApply, ErrorCategory.WriteError,
        savedPatch is null ? "Stash your local edits (git stash), apply again, then 'git stash pop'." : $"git stash; Invoke-PatchwirePatch -Path '{savedPatch}'; git stash pop")
{
    public string? SavedPatch { get; } = savedPatch;

    /// <summary>The same failure, saying where the patch is now kept and how to apply it anyway.</summary>
    public PatchApplyException SavedTo(string path, string projectRoot)
    {
        var shown = Relative(path, projectRoot);
        return new PatchApplyException(
            $"{Message} The patch is saved to {shown}. To apply it anyway, either stash your local edits (git stash), run 'patchwire apply' (or Invoke-PatchwirePatch), then 'git stash pop'; or run 'git apply --3way {shown}' and resolve the conflict markers by hand.",
            path, Conflicts, GitOutput);
    }

    private static string Relative(string path, string root) =>
        path.StartsWith(root, StringComparison.Ordinal) ? path.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar, '/').Replace('\\', '/') : path;
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
    public string GitOutput { get; } = gitOutput;
}

/// <summary>
/// Applies a diff to the laptop's working tree, all or nothing: 'git apply --check' then 'git apply'; when that
/// fails inside a git repository, 'git apply --3way' against a private copy of the index (the user's index is never
/// touched), rolled back file by file if git reports conflicts. A patch that is applied already is reported as such.
/// </summary>
public static class PatchApplier
{
    private static readonly Regex ConflictLine = new(@"^Applied patch to '(.+)' with conflicts\.$", RegexOptions.Multiline);
    private static readonly Regex ErrorLine = new(@"^error: (.+)$", RegexOptions.Multiline);

    public static string LastPatchPath(string projectRoot) => PatchStore.LastPatchPath(projectRoot);

    /// <exception cref="PatchApplyException">The patch does not apply (nothing changed). The caller saves it.</exception>
    public static PatchwireApplyResult Apply(string projectRoot, string patch, IDictionary<string, string>? gitEnvironment = null)
    {
        projectRoot = Path.GetFullPath(projectRoot);
        var sections = UnifiedDiff.Sections(patch);
        var result = new PatchwireApplyResult { ProjectRoot = projectRoot, Files = sections.Select(s => s.Change).ToArray() };
        if (sections.Count == 0) return result;

        // One git process for both: the top level on the first line, the folder's prefix below it (empty at the top).
        var location = GitCli.Run(projectRoot, "rev-parse", "--show-toplevel", "--show-prefix");
        var inRepo = location.Success;
        var lines = location.Stdout.Replace("\r", "").Split('\n');
        var workDir = inRepo ? lines[0].Trim() : projectRoot;
        var prefix = inRepo && lines.Length > 1 ? lines[1].Trim() : "";

        var patchFile = Path.Combine(Path.GetTempPath(), "patchwire-" + Guid.NewGuid().ToString("N") + ".patch");
        File.WriteAllText(patchFile, patch, new UTF8Encoding(false));
        try
        {
            var apply = new List<string> { "apply" };
            if (prefix.Length > 0) apply.Add("--directory=" + prefix.TrimEnd('/'));
            var check = GitCli.Run(workDir, apply.Concat(new[] { "--check", patchFile }), gitEnvironment);
            if (check.Success)
            {
                var direct = GitCli.Run(workDir, apply.Concat(new[] { patchFile }), gitEnvironment);
                if (direct.Success) { result.Method = PatchApplyMethod.Direct; return result; }
                throw Fail("git apply failed after its check passed: " + direct.Stderr.Trim(), Array.Empty<string>(), direct.Stderr);
            }
            // Applied already (a second 'patchwire apply'): the reverse applies cleanly. Nothing to do, and no 3-way merge to claim.
            var reverse = GitCli.Run(workDir, apply.Concat(new[] { "--reverse", "--check", patchFile }), gitEnvironment);
            if (reverse.Success) { result.Method = PatchApplyMethod.AlreadyApplied; return result; }
            if (!inRepo)
                throw Fail( $"The patch does not apply to {projectRoot} ({FirstError(check.Stderr)}), and a 3-way merge needs a git repository.", Array.Empty<string>(), check.Stderr);

            var paths = sections.SelectMany(s => new[] { s.Change.OldPath, s.Change.Path }).OfType<string>().Distinct(StringComparer.Ordinal).Select(p => prefix + p).ToList();
            var threeWay = ApplyThreeWay(workDir, apply, patchFile, paths, gitEnvironment);
            if (threeWay.Success) { result.Method = PatchApplyMethod.ThreeWay; return result; }
            var conflicts = ConflictLine.Matches(threeWay.Stderr + threeWay.Stdout).Cast<Match>().Select(m => m.Groups[1].Value).ToList();
            var why = conflicts.Count > 0
                ? $"Your working tree changed since the sync and a 3-way merge conflicts in {string.Join(", ", conflicts)}."
                : $"The patch does not apply to your working tree ({FirstError(check.Stderr)}), and a 3-way merge failed too ({FirstError(threeWay.Stderr)}).";
            throw Fail(why, conflicts, check.Stderr + threeWay.Stderr);
        }
        finally
        {
            TryDelete(patchFile);
        }
    }

    private static GitOutput ApplyThreeWay(string workDir, List<string> apply, string patchFile, List<string> paths, IDictionary<string, string>? gitEnvironment)
    {
        // --3way implies --index; a private copy of the index keeps the user's staging area untouched. Its entries for the
        // patched paths are refreshed from the working tree so that git merges into what the user has now.
        var realIndex = Path.Combine(workDir, GitCli.Run(workDir, "rev-parse", "--git-path", "index").Stdout.Trim());
        var privateIndex = Path.Combine(Path.GetTempPath(), "patchwire-index-" + Guid.NewGuid().ToString("N"));
        var env = new Dictionary<string, string>(gitEnvironment ?? new Dictionary<string, string>()) { ["GIT_INDEX_FILE"] = privateIndex };
        var backup = Backup(workDir, paths);
        try
        {
            if (File.Exists(realIndex)) File.Copy(realIndex, privateIndex);
            var refresh = GitCli.Run(workDir, new[] { "update-index", "--add", "--remove", "--" }.Concat(paths), env);
            if (!refresh.Success) return refresh;
            var merged = GitCli.Run(workDir, apply.Concat(new[] { "--3way", patchFile }), env);
            if (!merged.Success) Restore(workDir, backup);
            return merged;
        }
        catch
        {
            Restore(workDir, backup);
            throw;
        }
        finally
        {
            TryDelete(privateIndex);
            TryDelete(privateIndex + ".lock");
        }
    }

    private sealed class FileBackup
    {
        public string FullPath = "";
        public byte[]? Content;
        public List<string> MissingFolders = new();
    }

    private static List<FileBackup> Backup(string workDir, IEnumerable<string> paths)
    {
        var backups = new List<FileBackup>();
        foreach (var relative in paths)
        {
            var full = Path.Combine(workDir, relative.Replace('/', Path.DirectorySeparatorChar));
            var backup = new FileBackup { FullPath = full, Content = File.Exists(full) ? File.ReadAllBytes(full) : null };
            for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > workDir.Length && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
                backup.MissingFolders.Add(dir);
            backups.Add(backup);
        }
        return backups;
    }

    private static void Restore(string workDir, List<FileBackup> backups)
    {
        foreach (var b in backups)
        {
            if (b.Content is null)
            {
                if (File.Exists(b.FullPath)) File.Delete(b.FullPath);
                foreach (var dir in b.MissingFolders)
                    if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(b.FullPath)!);
                File.WriteAllBytes(b.FullPath, b.Content);
            }
        }
    }

    private static PatchApplyException Fail(string why, IReadOnlyList<string> conflicts, string gitOutput) =>
        new(why + " Nothing was changed.", null, conflicts, gitOutput);

    private static string FirstError(string stderr)
    {
        var m = ErrorLine.Matches(stderr).Cast<Match>().Select(x => x.Groups[1].Value.Trim()).LastOrDefault();
        return m ?? (stderr.Trim().Split('\n').FirstOrDefault()?.Trim() is { Length: > 0 } s ? s : "git apply failed");
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
