using Patchwire.PowerShell.Patch;

namespace Patchwire.Tests.Laptop;

/// <summary>Applying diffs to real repositories: the diff is made by git in a clone, as the agent makes it.</summary>
public sealed class PatchApplyTests
{
    private static (GitRepo Laptop, GitRepo Agent) Pair(TempDirectory temp)
    {
        var laptop = GitRepo.Init(temp.Combine("laptop"));
        laptop.Write("f.txt", string.Join("\n", Enumerable.Range(1, 12).Select(i => $"line {i}")) + "\n");
        laptop.Write("old name.txt", "to be renamed\nsecond line\nthird line\n");
        laptop.Write("gone.txt", "delete me\n");
        laptop.CommitAll("base");
        ProcessRunner.Run("git", new[] { "clone", "-q", laptop.Path, temp.Combine("agent") }).EnsureSuccess("clone");
        return (laptop, new GitRepo(temp.Combine("agent")));
    }

    private static string DiffOf(GitRepo agent)
    {
        agent.Git("add", "-A");
        return agent.Git("diff", "--cached", "--binary", "HEAD");
    }

    [Fact]
    public void A_diff_with_new_deleted_renamed_binary_and_non_ascii_files_applies_and_is_described()
    {
        using var temp = new TempDirectory();
        var (laptop, agent) = Pair(temp);
        agent.Write("f.txt", agent.Read("f.txt").Replace("line 2\n", "line two\nline 2b\n"));
        agent.Write("src/café neu.txt", "hallo\n");
        File.WriteAllBytes(Path.Combine(agent.Path, "logo.bin"), new byte[] { 0, 1, 2, 255, 0, 7 });
        File.Delete(Path.Combine(agent.Path, "gone.txt"));
        File.Move(Path.Combine(agent.Path, "old name.txt"), Path.Combine(agent.Path, "new name.txt"));
        var diff = DiffOf(agent);

        var files = UnifiedDiff.Files(diff).ToDictionary(f => f.Path);
        Assert.Equal(FileChangeStatus.Modified, files["f.txt"].Status);
        Assert.Equal((2, 1), (files["f.txt"].LinesAdded, files["f.txt"].LinesRemoved));
        Assert.Equal(FileChangeStatus.Added, files["src/café neu.txt"].Status);
        Assert.Equal(1, files["src/café neu.txt"].LinesAdded);
        Assert.True(files["logo.bin"].Binary);
        Assert.Equal(FileChangeStatus.Deleted, files["gone.txt"].Status);
        Assert.Equal(1, files["gone.txt"].LinesRemoved);
        Assert.Equal(FileChangeStatus.Renamed, files["new name.txt"].Status);
        Assert.Equal("old name.txt", files["new name.txt"].OldPath);
        Assert.Null(files["src/café neu.txt"].OldPath); // an added file has no old path
        Assert.Null(files["f.txt"].OldPath);

        var applied = PatchApplier.Apply(laptop.Path, diff);
        Assert.Equal(PatchApplyMethod.Direct, applied.Method);
        Assert.Equal("hallo\n", laptop.Read("src/café neu.txt"));
        Assert.Equal(new byte[] { 0, 1, 2, 255, 0, 7 }, File.ReadAllBytes(Path.Combine(laptop.Path, "logo.bin")));
        Assert.False(File.Exists(Path.Combine(laptop.Path, "gone.txt")));
        Assert.True(File.Exists(Path.Combine(laptop.Path, "new name.txt")));
        Assert.Equal(agent.Read("f.txt"), laptop.Read("f.txt"));
        Assert.Equal("", laptop.Git("diff", "--cached", "--name-only")); // git apply leaves the index alone

        // Applying it again changes nothing and says so, instead of claiming a 3-way merge.
        var snapshot = Snapshot(laptop);
        Assert.Equal(PatchApplyMethod.AlreadyApplied, PatchApplier.Apply(laptop.Path, diff).Method);
        Assert.Equal(snapshot, Snapshot(laptop));
    }

    [Fact]
    public void When_the_laptop_moved_a_3way_merge_applies_without_touching_the_index()
    {
        using var temp = new TempDirectory();
        var (laptop, agent) = Pair(temp);
        agent.Write("f.txt", agent.Read("f.txt").Replace("line 2\n", "line TWO\n"));
        var diff = DiffOf(agent);
        // A local edit to a context line of the hunk: the plain apply fails, the merge does not conflict.
        laptop.Write("f.txt", laptop.Read("f.txt").Replace("line 5\n", "line five (local)\n"));
        laptop.Write("staged.txt", "staged work\n");
        laptop.Git("add", "staged.txt");
        var indexBefore = laptop.Git("diff", "--cached", "--name-status");

        var applied = PatchApplier.Apply(laptop.Path, diff);

        Assert.Equal(PatchApplyMethod.ThreeWay, applied.Method);
        var text = laptop.Read("f.txt");
        Assert.Contains("line TWO\n", text);
        Assert.Contains("line five (local)\n", text);
        Assert.Equal(indexBefore, laptop.Git("diff", "--cached", "--name-status"));
        Assert.False(File.Exists(PatchApplier.LastPatchPath(laptop.Path)));
    }

    [Fact]
    public void A_conflicting_patch_changes_nothing_and_is_saved_per_run_and_to_last_patch()
    {
        using var temp = new TempDirectory();
        var (laptop, agent) = Pair(temp);
        agent.Write("f.txt", agent.Read("f.txt").Replace("line 2\n", "line TWO\n"));
        agent.Write("brand new.txt", "new\n");
        agent.Write("gone.txt", "edited by the agent\n");
        var diff = DiffOf(agent);
        laptop.Write("f.txt", laptop.Read("f.txt").Replace("line 2\n", "line 2 (mine)\n"));
        var before = Snapshot(laptop);
        var statusBefore = laptop.Status;

        var result = new Patchwire.PowerShell.Ask.PatchwireAskResult { ProjectRoot = laptop.Path, Diff = diff };
        var ex = Assert.Throws<PatchApplyException>(() => ApplyStep.Apply(result, diff));

        Assert.Contains("f.txt", ex.Conflicts);
        Assert.Contains("Nothing was changed", ex.Message);
        Assert.Contains(".patchwire/patches/", ex.Message);
        Assert.Equal(result.SavedPatch, ex.SavedPatch);
        Assert.Equal(diff, File.ReadAllText(PatchStore.LastPatchPath(laptop.Path)));
        Assert.Contains("git apply --3way", ex.Message);
        Assert.Equal(before, Snapshot(laptop)); // never half applied: no new file, no edited file
        Assert.Equal(diff, File.ReadAllText(ex.SavedPatch!));
        Assert.Equal("*\n", File.ReadAllText(Path.Combine(laptop.Path, ".patchwire", ".gitignore")));
        Assert.Equal(statusBefore, laptop.Status); // .patchwire/ ignores itself
    }

    [Fact]
    public void A_patch_for_a_missing_file_in_a_folder_outside_git_fails_cleanly()
    {
        using var temp = new TempDirectory();
        var (_, agent) = Pair(temp);
        agent.Write("f.txt", agent.Read("f.txt").Replace("line 2\n", "line TWO\n"));
        var diff = DiffOf(agent);
        var plain = temp.Combine("plain");
        Directory.CreateDirectory(plain);
        File.WriteAllText(Path.Combine(plain, "f.txt"), "something else entirely\n");

        var ex = Assert.Throws<PatchApplyException>(() => PatchApplier.Apply(plain, diff));
        Assert.Contains("3-way merge needs a git repository", ex.Message);
        Assert.Equal("something else entirely\n", File.ReadAllText(Path.Combine(plain, "f.txt")));
    }

    [Fact]
    public void Choosing_files_keeps_only_their_sections()
    {
        using var temp = new TempDirectory();
        var (laptop, agent) = Pair(temp);
        agent.Write("a.txt", "a\n");
        agent.Write("docs/b.md", "b\n");
        agent.Write("f.txt", "replaced\n");
        var diff = DiffOf(agent);

        var docsOnly = UnifiedDiff.Filter(diff, f => f.Path.StartsWith("docs/", StringComparison.Ordinal));
        Assert.Equal(new[] { "docs/b.md" }, UnifiedDiff.Files(docsOnly).Select(f => f.Path));
        PatchApplier.Apply(laptop.Path, docsOnly);
        Assert.True(File.Exists(Path.Combine(laptop.Path, "docs", "b.md")));
        Assert.False(File.Exists(Path.Combine(laptop.Path, "a.txt")));
        Assert.StartsWith("line 1", laptop.Read("f.txt"));
    }

    [Fact]
    public void A_project_in_a_subfolder_of_the_repository_gets_the_diff_under_that_folder()
    {
        using var temp = new TempDirectory();
        var mono = GitRepo.Init(temp.Combine("mono"));
        mono.Write("app/main.txt", "one\ntwo\n");
        mono.CommitAll("app");
        var agent = GitRepo.Init(temp.Combine("agent"));
        agent.Write("main.txt", "one\ntwo\n");
        agent.CommitAll("app alone");
        agent.Write("main.txt", "one\n2\n");
        var diff = DiffOf(agent);

        PatchApplier.Apply(Path.Combine(mono.Path, "app"), diff);
        Assert.Equal("one\n2\n", mono.Read("app/main.txt"));
        Assert.False(File.Exists(Path.Combine(mono.Path, "main.txt")));
    }

    private static Dictionary<string, string> Snapshot(GitRepo repo) =>
        Directory.EnumerateFiles(repo.Path, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + ".patchwire" + Path.DirectorySeparatorChar))
            .ToDictionary(f => Path.GetRelativePath(repo.Path, f), f => Convert.ToBase64String(File.ReadAllBytes(f)));
}
