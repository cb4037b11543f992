using System.Text.Json;

namespace Patchwire.Tests.Sandbox;

public sealed class SandboxStartupTests
{
    public static TheoryData<string, string> BadSettings => new()
    {
        { "PW_SANDBOX", "maybe" },
        { "PW_SANDBOX_NETWORK", "wifi" },
        { "PW_AI_ENV", "1BAD" },
        { "PW_AI_ENV", "HOME" },
        { "PW_AI_CREDENTIALS", "/nonexistent/credentials.json" },
        { "PW_AI_CREDENTIALS", "relative/credentials.json" },
        { "PW_SANDBOX_BWRAP", "bwrap" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_sandbox_setting_stops_the_agent_with_one_line_naming_the_variable(string variable, string value)
    {
        using var home = new TempDirectory();
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { [variable] = value, ["PW_SANDBOX"] = variable == "PW_SANDBOX" ? value : "auto" });
        Assert.NotEqual(0, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(variable, line);
    }

    [Fact]
    public async Task With_bwrap_required_and_missing_the_agent_refuses_to_start_with_one_line_and_touches_nothing()
    {
        using var home = new TempDirectory();
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?>
        {
            ["PW_SANDBOX"] = "bwrap",
            ["PW_SANDBOX_BWRAP"] = home.Combine("no-such-bwrap"),
        });

        Assert.NotEqual(0, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"patchwire-agent: PW_SANDBOX=bwrap but bubblewrap ({home.Combine("no-such-bwrap")}) is not installed; install the 'bubblewrap' package.", line);
        Assert.Empty(Directory.GetFileSystemEntries(home.Path));
    }

    [Fact]
    public async Task Auto_without_bwrap_starts_with_one_warning_and_health_says_none()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?>
        {
            ["PW_SANDBOX"] = "auto",
            ["PW_SANDBOX_BWRAP"] = home.Combine("no-such-bwrap"),
        });

        var warnings = agent.Output.Where(l => l.Contains("WARNING")).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("without a sandbox", warning);
        Assert.Contains("bubblewrap", warning);
        await agent.WaitForOutputAsync(l => l.StartsWith("caps: ", StringComparison.Ordinal) && l.EndsWith("sandbox: none", StringComparison.Ordinal));
        Assert.Equal("none", await HealthSandboxAsync(agent));
    }

    [Fact]
    public async Task Off_starts_without_a_warning_and_says_so()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_SANDBOX"] = "off" });

        await agent.WaitForOutputAsync(l => l.EndsWith("sandbox: none (PW_SANDBOX=off)", StringComparison.Ordinal));
        Assert.DoesNotContain(agent.Output, l => l.Contains("WARNING"));
        Assert.Equal("none", await HealthSandboxAsync(agent));
    }

    [SandboxFact]
    public async Task Auto_with_bwrap_uses_it_and_health_says_bwrap()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_SANDBOX"] = "auto", ["PW_SANDBOX_NETWORK"] = "none" });

        await agent.WaitForOutputAsync(l => l.EndsWith("sandbox: bwrap (network none)", StringComparison.Ordinal));
        Assert.DoesNotContain(agent.Output, l => l.Contains("WARNING"));
        Assert.Equal("bwrap", await HealthSandboxAsync(agent));
    }

    private static async Task<string?> HealthSandboxAsync(AgentProcess agent)
    {
        using var client = agent.Client();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/health"));
        return doc.RootElement.GetProperty("sandbox").GetString();
    }
}
