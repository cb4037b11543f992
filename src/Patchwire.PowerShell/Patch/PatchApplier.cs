using Patchwire.PowerShell.Sync;
using System.Text;
using System.Text.RegularExpressions;

namespace Patchwire.PowerShell.Patch;

public enum PatchApplyMethod
{
    /// <summary>'git apply': the patch matched the working tree as it is.</summary>
    Direct,
    /// <summary>'git apply --3way': the tree moved since the patch was made, and git merged cleanly.</summary>
    ThreeWay,
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

/// <summary>A patch that could not be applied. Nothing was changed; the patch was saved to <see cref="SavedPatch"/>.</summary>
public sealed class PatchApplyException(string message, string? savedPatch, IReadOnlyList<string> conflicts, string gitOutput) : Exception(message)
{
    public string? SavedPatch { get; } = savedPatch;
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
    public string GitOutput { get; } = gitOutput;
}

/// <summary>
/// Applies a diff to the laptop's working tree, all or nothing: 'git apply --check' then 'git apply'; when that
/// fails inside a git repository, 'git apply --3way' against a private copy of the index (the user's index is never
/// touched), rolled back file by file if git reports conflicts. A patch that cannot apply is saved to
/// .patchwire/last.patch.
/// </summary>
public static class PatchApplier
{
    public const string StateFolder = ".patchwire";
    public const string LastPatchName = "last.patch";
    private static readonly Regex ConflictLine = new(@"^Applied patch to '(.+)' with conflicts\.$", RegexOptions.Multiline);
    private static readonly Regex ErrorLine = new(@"^error: (.+)$", RegexOptions.Multiline);

    public static string LastPatchPath(string projectRoot) => Path.Combine(projectRoot, StateFolder, LastPatchName);

    /// <summary>Writes the patch under .patchwire/ (which gets a .gitignore of '*', so git never shows or syncs it).</summary>
    public static string Save(string projectRoot, string patch, string? path = null)
    {
        path ??= LastPatchPath(projectRoot);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var ignore = Path.Combine(projectRoot, StateFolder, ".gitignore");
        if (Directory.Exists(Path.GetDirectoryName(ignore)) && !File.Exists(ignore)) File.WriteAllText(ignore, "*\n");
        var temp = path + ".tmp";
        File.WriteAllText(temp, patch, new UTF8Encoding(false));
        if (File.Exists(path)) File.Delete(path);
        File.Move(temp, path);
        return path;
    }

    /// <exception cref="PatchApplyException">The patch does not apply (nothing changed; saved to last.patch unless <paramref name="saveOnFailure"/> is false).</exception>
    public static PatchwireApplyResult Apply(string projectRoot, string patch, bool saveOnFailure = true, IDictionary<string, string>? gitEnvironment = null)
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
                throw Fail(projectRoot, patch, saveOnFailure, "git apply failed after its check passed: " + direct.Stderr.Trim(), Array.Empty<string>(), direct.Stderr);
            }
            if (!inRepo)
                throw Fail(projectRoot, patch, saveOnFailure, $"The patch does not apply to {projectRoot} ({FirstError(check.Stderr)}), and a 3-way merge needs a git repository.", Array.Empty<string>(), check.Stderr);

            var paths = sections.SelectMany(s => new[] { s.Change.OldPath, s.Change.Path }).Distinct(StringComparer.Ordinal).Select(p => prefix + p).ToList();
            var threeWay = ApplyThreeWay(workDir, apply, patchFile, paths, gitEnvironment);
            if (threeWay.Success) { result.Method = PatchApplyMethod.ThreeWay; return result; }
            var conflicts = ConflictLine.Matches(threeWay.Stderr + threeWay.Stdout).Cast<Match>().Select(m => m.Groups[1].Value).ToList();
            var why = conflicts.Count > 0
                ? $"Your working tree changed since the sync and a 3-way merge conflicts in {string.Join(", ", conflicts)}."
                : $"The patch does not apply to your working tree ({FirstError(check.Stderr)}), and a 3-way merge failed too ({FirstError(threeWay.Stderr)}).";
            throw Fail(projectRoot, patch, saveOnFailure, why, conflicts, check.Stderr + threeWay.Stderr);
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

    private static PatchApplyException Fail(string projectRoot, string patch, bool save, string why, IReadOnlyList<string> conflicts, string gitOutput)
    {
        string? saved = null;
        if (save)
        {
            try { saved = Save(projectRoot, patch); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { why += $" (Saving the patch failed too: {ex.Message}.)"; }
        }
        var message = new StringBuilder(why).Append(" Nothing was changed.");
        if (saved is not null)
        {
            var shown = Relative(projectRoot, saved);
            message.Append($" The patch is saved to {shown}. To apply it anyway, either stash your local edits (git stash), run 'patchwire apply' (or Invoke-PatchwirePatch), then 'git stash pop'; or run 'git apply --3way {shown}' and resolve the conflict markers by hand.");
        }
        return new PatchApplyException(message.ToString(), saved, conflicts, gitOutput);
    }

    private static string Relative(string root, string path) =>
        path.StartsWith(root, StringComparison.Ordinal) ? path.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar, '/').Replace('\\', '/') : path;

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
