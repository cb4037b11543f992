using System.Net;
using System.Text.Json;
using Patchwire.Core.Identity;

namespace Patchwire.Tests.Identity;

public sealed class AgentAuthTests
{
    private static async Task<(HttpStatusCode Status, string Body)> Me(AgentProcess agent, string? token, string? rawHeader = null)
    {
        using var client = agent.Client(token);
        if (rawHeader is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", rawHeader);
        using var response = await client.GetAsync("/me");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Missing_unknown_and_disabled_tokens_get_401_and_403_with_json_bodies()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var ana = agent.AddUser("ana");

        Assert.Equal((HttpStatusCode.Unauthorized, "{\"error\":\"unauthorized\"}"), await Me(agent, null));
        Assert.Equal((HttpStatusCode.Unauthorized, "{\"error\":\"unauthorized\"}"), await Me(agent, "pw_" + new string('0', 64)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Me(agent, null, "Basic " + ana)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Me(agent, ana)).Status);

        agent.Registry.SetDisabled("ana", true);
        Assert.Equal((HttpStatusCode.Forbidden, "{\"error\":\"user disabled\"}"), await Me(agent, ana));
        using (var client = agent.Client(ana))
        {
            using var queue = await client.GetAsync("/queue");
            Assert.Equal(HttpStatusCode.Forbidden, queue.StatusCode);
        }
    }

    [Fact]
    public async Task Admin_changes_apply_to_the_very_next_request_without_a_restart()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var registry = agent.Registry;

        var (_, ben) = registry.Add("ben"); // added while the agent runs
        Assert.Equal(HttpStatusCode.OK, (await Me(agent, ben)).Status);

        registry.SetDisabled("ben", true);
        Assert.Equal(HttpStatusCode.Forbidden, (await Me(agent, ben)).Status);
        registry.SetDisabled("ben", false);
        Assert.Equal(HttpStatusCode.OK, (await Me(agent, ben)).Status);

        var (_, rotated) = registry.Rotate("ben");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Me(agent, ben)).Status);
        var (status, body) = await Me(agent, rotated);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ben", JsonDocument.Parse(body).RootElement.GetProperty("user").GetString());

        registry.Remove("ben");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Me(agent, rotated)).Status);
    }

    [Fact]
    public async Task Last_seen_is_kept_in_memory_and_written_in_batches_not_per_request()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_LAST_SEEN_FLUSH_SEC"] = "3600" });
        var ana = agent.AddUser("ana");
        var before = File.ReadAllBytes(agent.UsersFile);

        for (var i = 0; i < 25; i++) Assert.Equal(HttpStatusCode.OK, (await Me(agent, ana)).Status);
        Assert.Equal(before, File.ReadAllBytes(agent.UsersFile)); // 25 requests, no rewrite

        var (_, body) = await Me(agent, ana);
        Assert.NotEqual(JsonValueKind.Null, JsonDocument.Parse(body).RootElement.GetProperty("lastSeen").ValueKind);

        await agent.StopAsync(); // shutdown flushes
        var seen = agent.Registry.Find("ana")!.LastSeen;
        Assert.NotNull(seen);
        Assert.True(DateTimeOffset.UtcNow - seen!.Value < TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Last_seen_reaches_the_registry_on_the_flush_interval_without_losing_admin_changes()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path); // flush every second
        var ana = agent.AddUser("ana");
        Assert.Equal(HttpStatusCode.OK, (await Me(agent, ana)).Status);
        agent.Registry.Add("carl");

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (agent.Registry.Find("ana")!.LastSeen is null && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.NotNull(agent.Registry.Find("ana")!.LastSeen);
        Assert.NotNull(agent.Registry.Find("carl"));
        Assert.Null(agent.Registry.Find("carl")!.LastSeen);
    }
}
