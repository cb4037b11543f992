using System.Net;
using System.Net.Sockets;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Sync;

namespace Patchwire.Tests.Sync;

public sealed class SyncFaultTests
{
    [Fact]
    public async Task An_agent_that_is_down_gives_an_actionable_message_and_leaves_the_repo_alone()
    {
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("down"));
        repo.Write("wip.txt", "work\n");
        var before = UserState.Capture(repo);
        var settings = new ClientSettings { AgentUrl = $"http://127.0.0.1:{FreePort()}", Token = "pw_" + new string('1', 64), Project = "down", ProjectRoot = repo.Path };

        var error = await Assert.ThrowsAsync<AgentClientException>(() => SyncAgentFixture.SyncAsync(settings));

        Assert.Contains("Cannot reach the Patchwire agent", error.Message);
        Assert.Contains("PW_AGENT_URL", error.Message);
        Assert.Equal(before, UserState.Capture(repo));
        Assert.Equal("", repo.Git("for-each-ref", "refs/patchwire/"));
    }

    [Fact]
    public async Task A_wrong_token_and_a_disabled_user_are_reported_as_such()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        var ana = agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("tok"));
        var settings = new ClientSettings { AgentUrl = agent.BaseUrl, Token = "pw_" + new string('2', 64), Project = "tok", ProjectRoot = repo.Path };

        var wrong = await Assert.ThrowsAsync<AgentClientException>(() => SyncAgentFixture.SyncAsync(settings));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Contains("rejected the token", wrong.Message);
        Assert.Contains("patchwire setup", wrong.Message);

        agent.Registry.SetDisabled("ana", true);
        settings.Token = ana;
        var disabled = await Assert.ThrowsAsync<AgentClientException>(() => SyncAgentFixture.SyncAsync(settings));
        Assert.Equal(HttpStatusCode.Forbidden, disabled.Status);
        Assert.False(Directory.Exists(Path.Combine(agent.ProjectsRoot, "ana")));
    }

    [Fact]
    public async Task A_snapshot_over_the_agents_limit_is_refused_with_advice_and_bad_folders_are_named()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "git", ["PW_MAX_BUNDLE_BYTES"] = "200000" });
        var ana = agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("big"));
        var bytes = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(repo.Path, "big.bin"), bytes);
        var settings = new ClientSettings { AgentUrl = agent.BaseUrl, Token = ana, Project = "big", ProjectRoot = repo.Path };

        var tooLarge = await Assert.ThrowsAnyAsync<Exception>(() => SyncAgentFixture.SyncAsync(settings));
        Assert.True(tooLarge is SyncException, tooLarge.ToString());
        Assert.Contains("larger than the agent accepts (195.3 KB", tooLarge.Message);
        Assert.Contains("sync.exclude", tooLarge.Message);
        // The agent notices the dropped upload on its own time; it then removes the checkout it had started.
        var checkout = Path.Combine(agent.ProjectsRoot, "ana", "big");
        for (var i = 0; i < 100 && Directory.Exists(checkout); i++) await Task.Delay(50);
        Assert.False(Directory.Exists(checkout), string.Join("\n", agent.Output));

        // Excluding the file makes the same project syncable.
        settings.Excludes = new[] { "*.bin" };
        var result = await SyncAgentFixture.SyncAsync(settings);
        Assert.True(result.Full);
        Assert.False(File.Exists(Path.Combine(agent.ProjectsRoot, "ana", "big", "big.bin")));
        Assert.True(File.Exists(Path.Combine(agent.ProjectsRoot, "ana", "big", "README.md")));

        var badName = new ClientSettings { AgentUrl = agent.BaseUrl, Token = ana, Project = "my project", ProjectRoot = repo.Path };
        Assert.Contains("cannot be a project name", (await Assert.ThrowsAsync<SyncException>(() => SyncAgentFixture.SyncAsync(badName))).Message);
        var missing = new ClientSettings { AgentUrl = agent.BaseUrl, Token = ana, Project = "gone", ProjectRoot = laptop.Combine("gone") };
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<SyncException>(() => SyncAgentFixture.SyncAsync(missing))).Message);
    }

    [Fact]
    public async Task Concurrent_syncs_of_one_project_all_succeed_and_end_at_the_last_tree()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        var ana = agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("race"));
        repo.Write("a.txt", "same\n");
        var settings = new ClientSettings { AgentUrl = agent.BaseUrl, Token = ana, Project = "race", ProjectRoot = repo.Path };

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SyncAgentFixture.SyncAsync(settings))));

        Assert.Single(results.Select(r => r.Tree).Distinct());
        var checkout = Path.Combine(agent.ProjectsRoot, "ana", "race");
        Assert.Equal(TreeListing.Expected(repo.Path), TreeListing.OnDisk(checkout));
        Assert.Contains(new GitRepo(checkout).Head, results.Select(r => r.Baseline));
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
