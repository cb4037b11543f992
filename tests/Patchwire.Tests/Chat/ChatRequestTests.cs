using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

public sealed class ChatRequestTests
{
    [Fact]
    public async Task Bad_requests_get_plain_http_errors_and_change_nothing()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = Guid.NewGuid().ToString();

        async Task Expect(HttpStatusCode status, string error, object body)
        {
            await using var stream = await ChatStream.OpenAsync(client, body);
            Assert.True(status == stream.Status, $"{JsonSerializer.Serialize(body)}: expected {status}, got {stream.Status} {stream.ErrorBody}");
            Assert.Equal(error, JsonDocument.Parse(stream.ErrorBody!).RootElement.GetProperty("error").GetString());
        }

        await Expect(HttpStatusCode.BadRequest, "invalid session uuid", new { uuid = "not-a-uuid", prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid session uuid", new { uuid = "{" + uuid + "}", prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'uuid'", new { prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'uuid' must be a string", new { uuid = 42, prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'prompt'", new { uuid, project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'prompt' is empty", new { uuid, prompt = "  ", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'project'", new { uuid, prompt = "say: x" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'projectName' must be a string", new { uuid, prompt = "say: x", projectName = true });
        await Expect(HttpStatusCode.BadRequest, "invalid project name", new { uuid, prompt = "say: x", project = "../bob" });
        await Expect(HttpStatusCode.BadRequest, "invalid project name", new { uuid, prompt = "say: x", project = "a/b" });
        await Expect(HttpStatusCode.NotFound, "project not found", new { uuid, prompt = "say: x", project = "missing" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'baseline' must be a commit id (hex)", new { uuid, prompt = "say: x", project = "app", baseline = "HEAD~1" });
        await Expect(HttpStatusCode.Conflict, "unknown baseline", new { uuid, prompt = "say: x", project = "app", baseline = new string('a', 40) });
        using (var malformed = await client.PostAsync("/chat", new StringContent("{\"uuid\": ", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        // None of it ran the AI, created a session or wrote an audit line.
        Assert.Empty(bed.ArgsLog);
        Assert.False(File.Exists(bed.SessionsFile));
        await bed.StatusAsync("ana", uuid, HttpStatusCode.NotFound);
        CheckoutAssert.SameTree(before, repo.Path);

        // Upstream's clients send projectName; it works like project. A dirty checkout without a baseline is refused.
        await using (var upstream = await ChatStream.OpenAsync(client, new { uuid, prompt = "say: via projectName", projectName = "app" }))
        {
            await upstream.ReadAllAsync();
            Assert.Equal("via projectName", upstream.Text);
        }
        repo.Write("src/app.txt", "dirty\n");
        await Expect(HttpStatusCode.Conflict, "checkout is dirty", new { uuid, prompt = "say: x", project = "app" });
    }

    [Fact]
    public async Task Status_and_delete_know_only_the_callers_own_sessions()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        bed.CreateCheckout("ben");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");
        var uuid = Guid.NewGuid().ToString();

        await bed.StatusAsync("ana", Guid.NewGuid().ToString(), HttpStatusCode.NotFound);
        Assert.Equal("invalid session uuid", (await bed.StatusAsync("ana", "nope", HttpStatusCode.BadRequest)).GetProperty("error").GetString());
        using (var unknown = await ana.DeleteAsync($"/session/{Guid.NewGuid()}")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var bad = await ana.DeleteAsync("/session/nope")) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var anonymous = await bed.Agent.Client().GetAsync($"/session/{uuid}/status")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await using (var turn = await ChatStream.TurnAsync(ana, uuid.ToUpperInvariant(), "say: mine\ntokens: 3 2")) { }
        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal(uuid, status.GetProperty("uuid").GetString());
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.True(status.GetProperty("startedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(3, status.GetProperty("tokensIn").GetInt64());

        // ben cannot see, delete or continue ana's session: for him that uuid is a session of his own.
        await bed.StatusAsync("ben", uuid, HttpStatusCode.NotFound);
        using (var theirs = await ben.DeleteAsync($"/session/{uuid}")) Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        await using (var benTurn = await ChatStream.TurnAsync(ben, uuid, "say: turn {turn}"))
        {
            Assert.Equal("turn 1", benTurn.Text);
            Assert.Equal(1, benTurn.Events.Single(e => ChatStream.Type(e) == "chat_turn_start").GetProperty("turnIndex").GetInt32());
        }
        Assert.DoesNotContain("--resume", bed.ArgsLog[^1]);
        Assert.Equal(3, (await bed.StatusAsync("ana", uuid)).GetProperty("tokensIn").GetInt64());

        using (var delete = await ana.DeleteAsync($"/session/{uuid}")) Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await bed.StatusAsync("ana", uuid, HttpStatusCode.NotFound);
        Assert.Equal("done", (await bed.StatusAsync("ben", uuid)).GetProperty("status").GetString());
        Assert.DoesNotContain("\"user\": \"ana\"", File.ReadAllText(bed.SessionsFile));
    }

    [Fact]
    public async Task An_unreadable_sessions_file_is_set_aside_and_the_agent_still_serves()
    {
        using var temp = new TempDirectory("pw-chat-corrupt");
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "agent-sessions.json"), "{ not json");
        await using var agent = await AgentProcess.StartAsync(home, new Dictionary<string, string?> { ["PW_AI_BIN"] = "bash" });
        Assert.Contains(agent.Output, l => l.Contains("agent-sessions.json was unreadable"));
        Assert.Single(Directory.GetFiles(home, "agent-sessions.json.corrupt-*"));
        using var client = agent.Client(agent.AddUser("ana"));
        using var response = await client.GetAsync($"/session/{Guid.NewGuid()}/status");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
