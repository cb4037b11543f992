using System.Net;
using System.Text.Json;

namespace Patchwire.Tests.Identity;

public sealed class AgentIdentityTests
{
    [Fact]
    public async Task Health_needs_no_token_and_me_names_the_caller()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        var ana = agent.AddUser("ana");

        using var anonymous = agent.Client();
        var health = JsonDocument.Parse(await anonymous.GetStringAsync("/health")).RootElement;
        Assert.True(health.GetProperty("ok").GetBoolean());
        Assert.Equal("0.1.0", health.GetProperty("version").GetString());
        Assert.True(health.GetProperty("claude").GetProperty("found").GetBoolean());

        using var client = agent.Client(ana);
        var me = JsonDocument.Parse(await client.GetStringAsync("/me")).RootElement;
        Assert.Equal("ana", me.GetProperty("user").GetString());
    }
}
