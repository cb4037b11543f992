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

        async Task Expect(HttpStatusCode status, string error, object body, string? code = null)
        {
            await using var stream = await ChatStream.OpenAsync(client, body);
            Assert.True(status == stream.Status, $"{JsonSerializer.Serialize(body)}: expected {status}, got {stream.Status} {stream.ErrorBody}");
            var answer = JsonDocument.Parse(stream.ErrorBody!).RootElement;
            Assert.Equal(error, answer.GetProperty("error").GetString());
            // Upstream's /chat error body, beside our error text.
            Assert.False(answer.GetProperty("ok").GetBoolean());
            Assert.Matches("^[a-z0-9_]+$", answer.GetProperty("code").GetString());
            if (code is not null) Assert.Equal(code, answer.GetProperty("code").GetString());
        }

        await Expect(HttpStatusCode.BadRequest, "invalid session uuid", new { uuid = "not-a-uuid", prompt = "say: x", project = "app" }, "invalid_uuid");
        await Expect(HttpStatusCode.BadRequest, "invalid session uuid", new { uuid = "{" + uuid + "}", prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'uuid'", new { prompt = "say: x", project = "app" }, "invalid_body");
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'uuid' must be a string", new { uuid = 42, prompt = "say: x", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'prompt'", new { uuid, project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'prompt' is empty", new { uuid, prompt = "  ", project = "app" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: missing field 'project'", new { uuid, prompt = "say: x" });
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'projectName' must be a string", new { uuid, prompt = "say: x", projectName = true });
        await Expect(HttpStatusCode.BadRequest, "invalid project name", new { uuid, prompt = "say: x", project = "../bob" }, "invalid_project_name");
        await Expect(HttpStatusCode.BadRequest, "invalid project name", new { uuid, prompt = "say: x", project = "a/b" });
        await Expect(HttpStatusCode.NotFound, "project not found", new { uuid, prompt = "say: x", project = "missing" }, "project_not_found");
        await Expect(HttpStatusCode.BadRequest, "invalid body: field 'baseline' must be a commit id (hex)", new { uuid, prompt = "say: x", project = "app", baseline = "HEAD~1" });
        await Expect(HttpStatusCode.Conflict, "unknown baseline", new { uuid, prompt = "say: x", project = "app", baseline = new string('a', 40) }, "unknown_baseline");
        using (var malformed = await client.PostAsync("/chat", new StringContent("{\"uuid\": ", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal("invalid_body", JsonDocument.Parse(await malformed.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }

        // None of it ran the AI, created a session or wrote an audit line.
        Assert.Empty(bed.ArgsLog);
        Assert.Empty(StateStore.SessionRows(bed.StoreFile));
        await bed.StatusAsync("ana", uuid, HttpStatusCode.NotFound);
        CheckoutAssert.SameTree(before, repo.Path);

        // Upstream's clients send projectName; it works like project. A dirty checkout without a baseline is refused.
        await using (var upstream = await ChatStream.OpenAsync(client, new { uuid, prompt = "say: via projectName", projectName = "app" }))
        {
            await upstream.ReadAllAsync();
            Assert.Equal("via projectName", upstream.Text);
        }
        repo.Write("src/app.txt", "dirty\n");
        await Expect(HttpStatusCode.Conflict, "checkout is dirty", new { uuid, prompt = "say: x", project = "app" }, "checkout_dirty");
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

        // Upstream's answers: a miss is 404 {"ok":false,"code":"unknown_uuid"}; DELETE of an unknown session is 204.
        var miss = await bed.StatusAsync("ana", Guid.NewGuid().ToString(), HttpStatusCode.NotFound);
        Assert.Equal("unknown_uuid", miss.GetProperty("code").GetString());
        Assert.False(miss.GetProperty("ok").GetBoolean());
        var bad = await bed.StatusAsync("ana", "nope", HttpStatusCode.BadRequest);
        Assert.Equal("invalid session uuid", bad.GetProperty("error").GetString());
        Assert.Equal("invalid_uuid", bad.GetProperty("code").GetString());
        using (var unknown = await ana.DeleteAsync($"/session/{Guid.NewGuid()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, unknown.StatusCode);
            Assert.Equal("", await unknown.Content.ReadAsStringAsync());
        }
        using (var malformed = await ana.DeleteAsync("/session/nope"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal("invalid_uuid", JsonDocument.Parse(await malformed.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }
        using (var anonymous = await bed.Agent.Client().GetAsync($"/session/{uuid}/status")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await using (var turn = await ChatStream.TurnAsync(ana, uuid.ToUpperInvariant(), "say: mine\ntokens: 3 2")) { }
        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal(uuid, status.GetProperty("uuid").GetString());
        Assert.Equal("done", status.GetProperty("status").GetString());
        // startedAt in epoch milliseconds, as upstream.
        Assert.Equal(JsonValueKind.Number, status.GetProperty("startedAt").ValueKind);
        var startedAt = DateTimeOffset.FromUnixTimeMilliseconds(status.GetProperty("startedAt").GetInt64());
        Assert.InRange(startedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(3, status.GetProperty("tokensIn").GetInt64());

        // ben cannot see, delete or continue ana's session: for him that uuid is a session of his own.
        await bed.StatusAsync("ben", uuid, HttpStatusCode.NotFound);
        using (var theirs = await ben.DeleteAsync($"/session/{uuid}")) Assert.Equal(HttpStatusCode.NoContent, theirs.StatusCode);
        Assert.Equal("done", (await bed.StatusAsync("ana", uuid)).GetProperty("status").GetString()); // ben's DELETE left it alone
        await using (var benTurn = await ChatStream.TurnAsync(ben, uuid, "say: turn {turn}"))
        {
            Assert.Equal("turn 1", benTurn.Text);
            Assert.Equal(0, benTurn.Events.Single(e => ChatStream.Type(e) == "chat_turn_start").GetProperty("turnIndex").GetInt32());
        }
        Assert.DoesNotContain("--resume", bed.ArgsLog[^1]);
        Assert.Equal(3, (await bed.StatusAsync("ana", uuid)).GetProperty("tokensIn").GetInt64());

        using (var delete = await ana.DeleteAsync($"/session/{uuid}")) Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await bed.StatusAsync("ana", uuid, HttpStatusCode.NotFound);
        Assert.Equal("done", (await bed.StatusAsync("ben", uuid)).GetProperty("status").GetString());
        Assert.Empty(StateStore.SessionRows(bed.StoreFile, "user = 'ana'"));
        using (var again = await ana.DeleteAsync($"/session/{uuid}")) Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }
}
