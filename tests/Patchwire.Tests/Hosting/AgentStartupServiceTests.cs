namespace Patchwire.Tests.Hosting;

/// <summary>
/// The start-up work (registry check, PW_AGENT_TOKEN migration, crash recovery, chat sessions) runs before the port
/// opens: what it reports comes before the listening line, and a failure in it is one line and a non-zero exit with
/// the port never opened.
/// </summary>
public sealed class AgentStartupServiceTests
{
    [Fact]
    public async Task A_start_up_failure_is_one_line_naming_the_file_and_the_port_never_opens()
    {
        using var home = new TempDirectory();
        var users = home.Combine("users.json");
        File.WriteAllText(users, "[ broken");
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path);
        Assert.NotEqual(0, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("patchwire-agent: ", line);
        Assert.Contains(users, line);
        Assert.DoesNotContain("listening", output);
        Assert.False(Directory.Exists(home.Combine("projects")), "nothing after the registry check ran");
    }

    [Fact]
    public async Task A_refused_migration_is_one_line_and_moves_nothing()
    {
        using var home = new TempDirectory();
        var root = home.Combine("projects");
        GitRepo.Init(Path.Combine(root, "app"));
        GitRepo.Init(Path.Combine(root, "default"));
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "legacy-token-0123456789" });
        Assert.NotEqual(0, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("PW_AGENT_TOKEN migration refused", line);
        Assert.True(Directory.Exists(Path.Combine(root, "app", ".git")));
        Assert.False(File.Exists(home.Combine("users.json")));
    }

    [Fact]
    public async Task What_start_up_reports_comes_before_the_listening_line_then_the_caps_line()
    {
        using var home = new TempDirectory();
        GitRepo.Init(Path.Combine(home.Combine("projects"), "app"));
        File.WriteAllText(home.Combine("agent-sessions.json"), "{\"version\": 1, \"sessions\": []}");
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "legacy-token-0123456789" });
        await agent.WaitForOutputAsync(l => l.StartsWith("caps:"));
        var lines = agent.Output.ToList();
        Assert.StartsWith("patchwire-agent: migrated PW_AGENT_TOKEN to user 'default' and moved 1 checkout(s)", lines[0]);
        Assert.StartsWith("patchwire-agent: moved 0 chat session(s) from " + home.Combine("agent-sessions.json"), lines[1]);
        Assert.StartsWith("patchwire-agent listening on http://127.0.0.1:", lines[2]);
        Assert.StartsWith("caps: ", lines[3]);
    }
}
