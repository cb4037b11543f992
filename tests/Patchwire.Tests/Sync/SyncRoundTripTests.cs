using System.Text;
using Patchwire.PowerShell.Sync;

namespace Patchwire.Tests.Sync;

public sealed class SyncRoundTripTests(SyncAgentFixture fixture) : IClassFixture<SyncAgentFixture>
{
    [Fact]
    public async Task Uncommitted_and_untracked_work_arrives_ignored_secrets_do_not_and_the_users_repo_is_untouched()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("shop"));
        repo.Write(".gitignore", ".env\nbuild/\n");
        repo.Write("src/app.py", "print('v1')\n");
        repo.Write("src/util.py", "x = 1\n");
        repo.CommitAll("app");
        repo.Write("src/app.py", "print('v2 stashed')\n");
        repo.Git("stash", "push", "-q", "-m", "work in progress");
        repo.Write("src/app.py", "print('v3 staged')\n");
        repo.Git("add", "src/app.py");
        repo.Write("src/app.py", "print('v4 in the working tree')\n");
        repo.Write("src/new_module.py", "y = 2\n");
        repo.Write(".env", "API_KEY=secret-value\n");
        repo.Write("build/out.bin", "generated\n");
        repo.Write(".patchwire/last.patch", "old patch\n");
        File.Delete(Path.Combine(repo.Path, "src/util.py"));
        var before = UserState.Capture(repo);

        var result = await fixture.SyncAsync(fixture.Ana, repo.Path, "shop");

        Assert.Equal(before, UserState.Capture(repo));
        Assert.True(result.Transferred);
        Assert.True(result.Full);
        var checkout = fixture.Checkout("ana", "shop");
        Assert.Equal("print('v4 in the working tree')\n", File.ReadAllText(Path.Combine(checkout, "src/app.py")));
        Assert.Equal("y = 2\n", File.ReadAllText(Path.Combine(checkout, "src/new_module.py")));
        Assert.False(File.Exists(Path.Combine(checkout, "src/util.py")));
        Assert.False(File.Exists(Path.Combine(checkout, ".env")));
        Assert.False(Directory.Exists(Path.Combine(checkout, "build")));
        Assert.False(Directory.Exists(Path.Combine(checkout, ".patchwire")));
        var expected = TreeListing.Expected(repo.Path);
        expected.Remove(".patchwire/last.patch");
        Assert.Equal(expected, TreeListing.OnDisk(checkout));
        var agentRepo = new GitRepo(checkout);
        Assert.Equal(result.Baseline, agentRepo.Head);
        Assert.Equal(result.Tree, agentRepo.Git("rev-parse", "HEAD^{tree}").Trim());
        Assert.DoesNotContain("secret-value", agentRepo.Git("log", "-p", "--all"));
        // The snapshot lives on our private ref only.
        Assert.Equal(result.Baseline, repo.Git("rev-parse", WorkingTreeSnapshot.SnapshotRef("shop")).Trim());
        Assert.False(Directory.Exists(Path.Combine(repo.Path, ".git", "logs", "refs", "patchwire")));
    }

    [Fact]
    public async Task Binary_files_renames_deletions_odd_names_and_a_50_MB_file_round_trip()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("assets"));
        repo.Write("docs/old name.md", "rename me\n");
        repo.Write("gone.txt", "delete me\n");
        repo.Write("keep.txt", "keep\n");
        repo.CommitAll("start");
        var first = await fixture.SyncAsync(fixture.Ana, repo.Path, "assets");
        Assert.True(first.Full);

        repo.Git("mv", "docs/old name.md", "docs/new name.md");
        File.Delete(Path.Combine(repo.Path, "gone.txt"));
        repo.Write("café/naïve résumé.txt", "unicode ✓ 日本語\n");
        repo.Write("dir with spaces/file with spaces.txt", "spaces\n");
        var binary = new byte[4096];
        new Random(7).NextBytes(binary);
        binary[10] = 0;
        File.WriteAllBytes(Path.Combine(repo.Path, "image.bin"), binary);
        var big = new byte[50 * 1024 * 1024];
        new Random(11).NextBytes(big);
        File.WriteAllBytes(Path.Combine(repo.Path, "big.dat"), big);
        if (!OperatingSystem.IsWindows())
        {
            File.CreateSymbolicLink(Path.Combine(repo.Path, "docs/link-to-keep"), "../keep.txt");
            File.SetUnixFileMode(Path.Combine(repo.Path, "keep.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var second = await fixture.SyncAsync(fixture.Ana, repo.Path, "assets");

        Assert.False(second.Full);
        var checkout = fixture.Checkout("ana", "assets");
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(checkout));
        Assert.False(File.Exists(Path.Combine(checkout, "gone.txt")));
        Assert.False(File.Exists(Path.Combine(checkout, "docs/old name.md")));
        Assert.Equal("unicode ✓ 日本語\n", File.ReadAllText(Path.Combine(checkout, "café/naïve résumé.txt"), Encoding.UTF8));
        if (!OperatingSystem.IsWindows())
            Assert.True(File.GetUnixFileMode(Path.Combine(checkout, "keep.txt")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(second.Tree, new GitRepo(checkout).Git("rev-parse", "HEAD^{tree}").Trim());
    }

    [Fact]
    public async Task Incremental_syncs_are_small_and_a_no_change_sync_sends_nothing()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("inc"));
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var text = new StringBuilder();
            for (var line = 0; line < 200; line++) text.Append("line ").Append(random.Next()).Append('\n');
            repo.Write($"src/m{i / 20}/file{i}.txt", text.ToString());
        }
        repo.CommitAll("many files");

        var first = await fixture.SyncAsync(fixture.Ana, repo.Path, "inc");
        Assert.True(first.Full);
        Assert.True(first.BytesSent > 200 * 1000, $"full bundle {first.BytesSent} bytes");

        // A sync killed mid-way leaves git's lock on the private index; the next one must not trip over it.
        var state = await WorkingTreeSnapshot.OpenAsync(repo.Path, "inc", fixture.Home.Combine("laptop"), fsmonitor: false, CancellationToken.None);
        File.WriteAllText(state.PrivateIndex + ".lock", "");
        var unchanged = await fixture.SyncAsync(fixture.Ana, repo.Path, "inc");
        Assert.False(unchanged.Transferred);
        Assert.Equal(0, unchanged.BytesSent);
        Assert.Equal(first.Baseline, unchanged.Baseline);

        repo.Write("src/m3/file35.txt", "edited\n");
        var edited = await fixture.SyncAsync(fixture.Ana, repo.Path, "inc");
        Assert.True(edited.Transferred);
        Assert.False(edited.Full);
        Assert.True(edited.BytesSent < 2000, $"one-file bundle was {edited.BytesSent} bytes");
        Assert.Equal("edited\n", File.ReadAllText(Path.Combine(fixture.Checkout("ana", "inc"), "src/m3/file35.txt")));
        Assert.Equal(first.Baseline, new GitRepo(fixture.Checkout("ana", "inc")).Git("rev-parse", "HEAD^").Trim());

        // A stray file on the agent (left by anything) is gone after the next sync; ignored files there stay.
        var checkout = fixture.Checkout("ana", "inc");
        File.WriteAllText(Path.Combine(checkout, "stray.txt"), "left over\n");
        File.WriteAllText(Path.Combine(checkout, "src/m0/file0.txt"), "agent-side edit\n");
        repo.Write("src/m3/file35.txt", "edited again\n");
        await fixture.SyncAsync(fixture.Ana, repo.Path, "inc");
        Assert.False(File.Exists(Path.Combine(checkout, "stray.txt")));
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(checkout));
    }

    [Fact]
    public async Task Sync_exclude_keeps_tracked_and_untracked_matches_home_and_a_subfolder_syncs_alone()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("mono"));
        repo.Write("service/data/huge.csv", "tracked data\n");
        repo.Write("service/src/main.go", "package main\n");
        repo.Write("service/notes.txt", "keep\n");
        repo.Write("other/readme.md", "not part of service\n");
        repo.CommitAll("mono");
        repo.Write("service/debug.log", "untracked log\n");
        repo.Write("service/src/trace.log", "nested log\n");

        var result = await fixture.SyncAsync(fixture.Ana, Path.Combine(repo.Path, "service"), "service", "/data/", "*.log", "# a comment");

        var checkout = fixture.Checkout("ana", "service");
        Assert.Equal(new[] { "notes.txt", "src/main.go" }, TreeListing.OnDisk(checkout).Keys);
        Assert.True(result.Full);

        // The whole repository under another name, excluding by pattern only.
        await fixture.SyncAsync(fixture.Ana, repo.Path, "mono", "service/data");
        Assert.Equal(new[] { "README.md", "other/readme.md", "service/debug.log", "service/notes.txt", "service/src/main.go", "service/src/trace.log" },
            TreeListing.OnDisk(fixture.Checkout("ana", "mono")).Keys);
    }

    [Fact]
    public async Task Two_users_with_the_same_project_name_never_see_each_others_files()
    {
        using var laptop = new TempDirectory();
        var anaRepo = GitRepo.Init(laptop.Combine("ana", "app"));
        anaRepo.Write("ana-only.txt", "ana's work\n");
        var benRepo = GitRepo.Init(laptop.Combine("ben", "app"));
        benRepo.Write("ben-only.txt", "ben's work\n");

        var ana = await fixture.SyncAsync(fixture.Ana, anaRepo.Path, "app");
        var ben = await fixture.SyncAsync(fixture.Ben, benRepo.Path, "app");

        Assert.NotEqual(ana.Baseline, ben.Baseline);
        Assert.True(ben.Full);
        Assert.True(File.Exists(Path.Combine(fixture.Checkout("ana", "app"), "ana-only.txt")));
        Assert.False(File.Exists(Path.Combine(fixture.Checkout("ana", "app"), "ben-only.txt")));
        Assert.True(File.Exists(Path.Combine(fixture.Checkout("ben", "app"), "ben-only.txt")));
        Assert.False(File.Exists(Path.Combine(fixture.Checkout("ben", "app"), "ana-only.txt")));
        Assert.Equal(ana.Baseline, await BaselineAsync(fixture.Ana, "app"));
        Assert.Equal(ben.Baseline, await BaselineAsync(fixture.Ben, "app"));
        // Ben's objects are not in ana's repository: a bundle that builds on them is refused there.
        Assert.False(new GitRepo(fixture.Checkout("ana", "app")).TryGit("cat-file", "-e", ben.Baseline).ExitCode == 0);
    }

    [Fact]
    public async Task A_checkout_cloned_into_place_has_no_baseline_and_a_sync_takes_it_over()
    {
        using var laptop = new TempDirectory();
        var origin = GitRepo.Init(laptop.Combine("origin"));
        origin.Write("src/lib.rs", "fn main() {}\n");
        origin.CommitAll("lib");
        var checkout = fixture.Checkout("ana", "cloned");
        Directory.CreateDirectory(Path.GetDirectoryName(checkout)!);
        ProcessRunner.Run("git", new[] { "clone", "-q", origin.Path, checkout }).EnsureSuccess("clone");
        var listingBefore = TreeListing.OnDisk(checkout);

        Assert.Null(await BaselineAsync(fixture.Ana, "cloned"));
        Assert.Equal(listingBefore, TreeListing.OnDisk(checkout));
        Assert.Equal("main", new GitRepo(checkout).Git("rev-parse", "--abbrev-ref", "HEAD").Trim());

        origin.Write("src/lib.rs", "fn main() { println!(\"synced\"); }\n");
        var result = await fixture.SyncAsync(fixture.Ana, origin.Path, "cloned");
        Assert.True(result.Full);
        Assert.Equal(TreeListing.Expected(origin.Path), TreeListing.OnDisk(checkout));
        Assert.Equal(origin.Head, new GitRepo(checkout).Git("rev-parse", "main").Trim());
    }

    [Fact]
    public async Task When_the_agent_lost_the_baseline_the_client_sends_the_whole_tree()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("lost"));
        repo.Write("a.txt", "one\n");
        var first = await fixture.SyncAsync(fixture.Ana, repo.Path, "lost");
        Directory.Delete(fixture.Checkout("ana", "lost"), recursive: true);
        repo.Write("a.txt", "two\n");

        var second = await fixture.SyncAsync(fixture.Ana, repo.Path, "lost");

        Assert.True(second.Full);
        Assert.NotEqual(first.Baseline, second.Baseline);
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(fixture.Checkout("ana", "lost"), "a.txt")));
    }

    private async Task<string?> BaselineAsync(string token, string project)
    {
        using var client = new Patchwire.PowerShell.Client.AgentClient(fixture.Settings(token, "", project));
        return await ProjectSync.GetBaselineAsync(client, project, CancellationToken.None);
    }
}
