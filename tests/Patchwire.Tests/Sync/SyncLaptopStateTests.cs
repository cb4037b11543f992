using System.Diagnostics;
using Patchwire.PowerShell.Sync;

namespace Patchwire.Tests.Sync;

/// <summary>The laptop's private index between syncs, and the states a developer's repository can be in: a private
/// index left corrupt by a killed sync, files tracked despite .gitignore, a merge or rebase stopped on conflicts, two
/// syncs at once from two pwsh processes, submodules.</summary>
public sealed class SyncLaptopStateTests(SyncAgentFixture fixture) : IClassFixture<SyncAgentFixture>
{
    [Fact]
    public async Task The_private_index_lives_under_PW_HOME_and_a_corrupt_one_left_by_a_killed_sync_is_rebuilt()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("kept"));
        repo.Write("src/a.txt", "a\n");
        repo.CommitAll("a");
        await fixture.SyncAsync(fixture.Ana, repo.Path, "kept");
        var state = await WorkingTreeSnapshot.OpenAsync(repo.Path, "kept", fixture.Home.Combine("laptop"), fsmonitor: false, CancellationToken.None);
        Assert.StartsWith(Path.Combine(fixture.Home.Combine("laptop"), "sync") + Path.DirectorySeparatorChar, state.PrivateIndex);
        Assert.True(File.Exists(state.PrivateIndex));
        Assert.False(Directory.Exists(Path.Combine(repo.Path, ".git", "patchwire")));

        // Killed half way through writing: garbage where the index was, and git's lock beside it.
        File.WriteAllBytes(state.PrivateIndex, "DIRC\0\0\0\u0002garbage that is no index"u8.ToArray());
        File.WriteAllText(state.PrivateIndex + ".lock", "");
        repo.Write("src/a.txt", "a, edited after the kill\n");
        var before = UserState.Capture(repo);
        var result = await fixture.SyncAsync(fixture.Ana, repo.Path, "kept");
        Assert.True(result.Transferred);
        Assert.Equal("a, edited after the kill\n", File.ReadAllText(Path.Combine(fixture.Checkout("ana", "kept"), "src", "a.txt")));
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(fixture.Checkout("ana", "kept")));
        Assert.Equal(before, UserState.Capture(repo));
    }

    [Fact]
    public async Task Files_tracked_despite_gitignore_follow_the_developers_index_while_the_private_index_lives_on()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("ignored"));
        repo.Write(".gitignore", "*.local\n");
        repo.Write("app.txt", "app\n");
        repo.Write("settings.local", "local settings\n");
        repo.CommitAll("app");
        var checkout = fixture.Checkout("ana", "ignored");

        await fixture.SyncAsync(fixture.Ana, repo.Path, "ignored");
        Assert.False(File.Exists(Path.Combine(checkout, "settings.local")));

        repo.Git("add", "-f", "settings.local");
        await fixture.SyncAsync(fixture.Ana, repo.Path, "ignored");
        Assert.Equal("local settings\n", File.ReadAllText(Path.Combine(checkout, "settings.local")));

        repo.Git("rm", "-q", "--cached", "settings.local");
        await fixture.SyncAsync(fixture.Ana, repo.Path, "ignored");
        Assert.False(File.Exists(Path.Combine(checkout, "settings.local")));
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(checkout));
    }

    [Theory]
    [InlineData("merge")]
    [InlineData("rebase")]
    public async Task A_repository_stopped_on_conflicts_gets_a_clear_message_and_nothing_is_touched_or_sent(string operation)
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("conflict-" + operation));
        repo.Write("shared.txt", "base\n");
        repo.CommitAll("base");
        var project = "conflict-" + operation;
        var synced = await fixture.SyncAsync(fixture.Ana, repo.Path, project);
        repo.Git("checkout", "-q", "-b", "theirs");
        repo.Write("shared.txt", "theirs\n");
        repo.CommitAll("theirs");
        repo.Git("checkout", "-q", "main");
        repo.Write("shared.txt", "ours\n");
        repo.CommitAll("ours");
        var stopped = operation == "merge" ? repo.TryGit("merge", "-q", "theirs") : repo.TryGit("rebase", "-q", "theirs");
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.NotEqual("", repo.Git("ls-files", "--unmerged"));

        var before = UserState.Capture(repo);
        var gitFiles = TreeListing.OnDisk(Path.Combine(repo.Path, ".git"));
        var refused = await Assert.ThrowsAsync<SyncException>(() => fixture.SyncAsync(fixture.Ana, repo.Path, project));
        Assert.Contains($"in the middle of a {operation}", refused.Message);
        Assert.Contains("unresolved conflicts in 1 file(s): shared.txt", refused.Message);
        Assert.Equal(before, UserState.Capture(repo));
        Assert.Equal(gitFiles, TreeListing.OnDisk(Path.Combine(repo.Path, ".git")));
        Assert.Equal(synced.Baseline, await ProjectSyncBaseline(project));
    }

    [Fact]
    public async Task Two_syncs_of_one_project_at_once_from_two_pwsh_processes_both_finish_and_agree()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("twice"));
        for (var i = 0; i < 300; i++) repo.Write($"src/d{i % 10}/f{i}.txt", $"file {i}\n" + new string('x', 2000));
        repo.CommitAll("many");
        repo.Write("untracked.txt", "not committed\n");
        var before = UserState.Capture(repo);

        var first = PwshSyncAsync(repo.Path, "twice");
        var second = PwshSyncAsync(repo.Path, "twice");
        var results = await Task.WhenAll(first, second);
        foreach (var r in results) Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stdout}\n{r.Stderr}");

        var laptopRef = repo.Git("rev-parse", "refs/patchwire/snapshots/twice").Trim();
        Assert.Equal(laptopRef, await ProjectSyncBaseline("twice"));
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(fixture.Checkout("ana", "twice")));
        Assert.Equal(before, UserState.Capture(repo));
        Assert.All(results, r => Assert.Contains(laptopRef[..12], r.Stdout));
    }

    [Fact]
    public async Task A_project_with_a_submodule_syncs_the_superproject_and_says_the_submodule_was_not_sent()
    {
        using var laptop = new TempDirectory();
        var library = GitRepo.Init(laptop.Combine("library"));
        library.Write("lib.c", "int lib;\n");
        library.CommitAll("lib");
        var repo = GitRepo.Init(laptop.Combine("super"));
        repo.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", library.Path, "vendor/lib");
        repo.Write("main.c", "int main;\n");
        repo.CommitAll("with a submodule");

        var result = await fixture.SyncAsync(fixture.Ana, repo.Path, "super");
        Assert.Equal(new[] { "vendor/lib" }, result.SubmodulesNotSent);
        var checkout = fixture.Checkout("ana", "super");
        Assert.Equal("int main;\n", File.ReadAllText(Path.Combine(checkout, "main.c")));
        Assert.True(File.Exists(Path.Combine(checkout, ".gitmodules")));
        Assert.False(File.Exists(Path.Combine(checkout, "vendor", "lib", "lib.c")));

        // Unchanged: still said.
        Assert.Equal(new[] { "vendor/lib" }, (await fixture.SyncAsync(fixture.Ana, repo.Path, "super")).SubmodulesNotSent);
        var cli = await PwshSyncAsync(repo.Path, "super");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains("submodule contents were not sent (only the superproject is synced): vendor/lib", cli.Stdout);

        // Without one, nothing is said.
        using var plain = new TempDirectory();
        var other = GitRepo.Init(plain.Combine("plain"));
        Assert.Empty((await fixture.SyncAsync(fixture.Ana, other.Path, "plain")).SubmodulesNotSent);
        Assert.DoesNotContain("submodule", (await PwshSyncAsync(other.Path, "plain")).Stdout);
    }

    [Fact]
    public async Task A_plain_folders_private_repository_drops_old_snapshots_when_pruned()
    {
        using var laptop = new TempDirectory();
        var folder = laptop.Combine("plain-prune");
        Directory.CreateDirectory(folder);
        var oldContent = "first version " + Guid.NewGuid() + "\n";
        File.WriteAllText(Path.Combine(folder, "notes.txt"), oldContent);
        var every = new Dictionary<string, string?> { ["PW_SYNC_MAINTENANCE_SEC"] = "0" };
        Assert.Equal(0, (await PwshSyncAsync(folder, "plain-prune", every)).ExitCode);
        var state = await WorkingTreeSnapshot.OpenAsync(folder, "plain-prune", fixture.Home.Combine("laptop"), fsmonitor: false, CancellationToken.None);
        Assert.True(state.PrivateRepository);
        var oldBlob = ProcessRunner.Run("git", new[] { "hash-object", "--stdin" }, folder, stdin: oldContent).Stdout.Trim();
        var privateGit = new[] { "--git-dir=" + Path.Combine(state.StateDirectory, "git") };
        Assert.Equal(0, ProcessRunner.Run("git", privateGit.Concat(new[] { "cat-file", "-e", oldBlob }), folder).ExitCode);

        File.WriteAllText(Path.Combine(folder, "notes.txt"), "second version\n");
        var second = await PwshSyncAsync(folder, "plain-prune", every);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.NotEqual(0, ProcessRunner.Run("git", privateGit.Concat(new[] { "cat-file", "-e", oldBlob }), folder).ExitCode);
        ProcessRunner.Run("git", privateGit.Concat(new[] { "fsck", "--connectivity-only", "--no-dangling" }), folder).EnsureSuccess("git fsck of the private repository");

        // Later syncs still build on the kept snapshot: one edit sends one small bundle.
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "third version\n");
        var third = await fixture.SyncAsync(fixture.Ana, folder, "plain-prune");
        Assert.False(third.Full);
        Assert.Equal("third version\n", File.ReadAllText(Path.Combine(fixture.Checkout("ana", "plain-prune"), "notes.txt")));
    }

    [Fact]
    public async Task Sync_fsmonitor_is_read_from_patchwire_yml_refused_when_malformed_and_never_used_on_linux()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("watched"));
        repo.Write("patchwire.yml", "project: watched\nsync:\n  fsmonitor: true\n");
        var settings = Patchwire.PowerShell.Client.ClientSettingsLoader.Load(repo.Path);
        Assert.True(settings.SyncFsmonitor);

        var watched = fixture.Settings(fixture.Ana, repo.Path, "watched");
        watched.SyncFsmonitor = true;
        var synced = await SyncAgentFixture.SyncAsync(watched);
        Assert.Equal(OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(), synced.Fsmonitor);
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(fixture.Checkout("ana", "watched")));

        repo.Write("patchwire.yml", "project: watched\nsync:\n  fsmonitor: sometimes\n");
        var error = Assert.Throws<Patchwire.PowerShell.Client.ClientConfigurationException>(() => Patchwire.PowerShell.Client.ClientSettingsLoader.Load(repo.Path));
        Assert.Contains("sync.fsmonitor must be true or false", error.Message);
    }

    private async Task<string?> ProjectSyncBaseline(string project)
    {
        using var client = new Patchwire.PowerShell.Client.AgentClient(fixture.Settings(fixture.Ana, "", project));
        return await ProjectSync.GetBaselineAsync(client, project, CancellationToken.None);
    }

    /// <summary>`patchwire sync --project NAME` in its own pwsh process, as a second terminal would run it.</summary>
    private async Task<ProcessResult> PwshSyncAsync(string folder, string project, IDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var script = $"Import-Module '{TestPaths.ModuleDll}'; Set-Location '{folder}'; patchwire sync --project {project}; exit $LASTEXITCODE";
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", script }) psi.ArgumentList.Add(a);
        var variables = new Dictionary<string, string?>
        {
            ["PW_HOME"] = fixture.Home.Combine("laptop"),
            ["PW_AGENT_URL"] = fixture.Agent.BaseUrl,
            ["PW_TOKEN"] = fixture.Ana,
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string?>()) variables[k] = v;
        ProcessRunner.ApplyEnvironment(psi, variables);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
