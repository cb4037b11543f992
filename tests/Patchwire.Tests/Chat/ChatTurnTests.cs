using System.Net;
using System.Text.Json;
using Patchwire.Core.IO;
using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

public sealed class ChatTurnTests
{
    private static string NewUuid() => Guid.NewGuid().ToString();

    [Fact]
    public async Task Turn_two_resumes_turn_one_and_tokens_are_reported_kept_and_audited()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = NewUuid();

        await using var one = await ChatStream.TurnAsync(client, uuid, "say: hello from turn {turn}\nwrite: notes/todo.txt first note\nwrite: src/app.txt changed\ntokens: 120 30");
        Assert.Equal(new[] { "accepted", "chat_turn_start", "chat_text", "chat_diff", "chat_done" }, one.Events.Select(ChatStream.Type));
        // As upstream: the AI's own session id, and the turn counted from 0.
        var aiSession = Assert.Single(Directory.GetFiles(Path.Combine(bed.StandInDir, "sessions"))).Split('/')[^1];
        var start = one.Events[1];
        Assert.Equal(aiSession, start.GetProperty("sessionId").GetString());
        Assert.Equal(0, start.GetProperty("turnIndex").GetInt32());
        Assert.Equal(0, one.Last.GetProperty("turnIndex").GetInt32());
        Assert.Equal("hello from turn 1", one.Text);
        var diff = one.Events[3];
        var files = diff.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f);
        Assert.Equal("A", files["notes/todo.txt"].GetProperty("status").GetString());
        Assert.Equal(1, files["notes/todo.txt"].GetProperty("additions").GetInt32());
        Assert.Equal("M", files["src/app.txt"].GetProperty("status").GetString());
        Assert.Equal(2, files["src/app.txt"].GetProperty("deletions").GetInt32());
        CheckoutAssert.ApplyToCopy(repo, repo.Head, diff.GetProperty("patch").GetString()!, bed.Scratch);
        var done = one.Last;
        Assert.Equal(120, done.GetProperty("tokensIn").GetInt64());
        Assert.Equal(30, done.GetProperty("tokensOut").GetInt64());
        Assert.True(done.GetProperty("durationMs").GetInt64() >= 0);
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);

        await using var two = await ChatStream.TurnAsync(client, uuid, "say: still here, turn {turn}\ntokens: 7 3");
        var twoStart = two.Events.Single(e => ChatStream.Type(e) == "chat_turn_start");
        Assert.Equal(1, twoStart.GetProperty("turnIndex").GetInt32());
        Assert.Equal(aiSession, twoStart.GetProperty("sessionId").GetString());
        Assert.Equal("still here, turn 2", two.Text); // the stand-in counted turn 2 of the same session
        Assert.DoesNotContain(two.Events, e => ChatStream.Type(e) == "chat_diff");
        Assert.Equal("chat_done", ChatStream.Type(two.Last));

        var args = bed.ArgsLog;
        Assert.Equal(2, args.Length);
        Assert.Equal("--print --standin-dir " + bed.StandInDir + " --output-format stream-json --verbose", args[0]);
        Assert.Equal("--print --standin-dir " + bed.StandInDir + " --output-format stream-json --verbose --resume " + aiSession, args[1]);

        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(127, status.GetProperty("tokensIn").GetInt64());
        Assert.Equal(33, status.GetProperty("tokensOut").GetInt64());
        Assert.Equal(2, status.GetProperty("turnCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("errorMessage").ValueKind);

        var audit = bed.AuditLines();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, line =>
        {
            Assert.Equal("/chat", line.GetProperty("route").GetString());
            Assert.Equal("ana", line.GetProperty("user").GetString());
            Assert.Equal("app", line.GetProperty("project").GetString());
            Assert.Equal(uuid, line.GetProperty("uuid").GetString());
            Assert.Matches("^[0-9a-f]{64}$", line.GetProperty("prompt_sha256").GetString());
            Assert.False(line.TryGetProperty("exit_code", out _));
        });
        Assert.Equal(new long[] { 120, 7 }, audit.Select(l => l.GetProperty("tokens_in").GetInt64()));
        Assert.Equal(new long[] { 30, 3 }, audit.Select(l => l.GetProperty("tokens_out").GetInt64()));

        // The session store: owner-only, the AI's session id kept, no prompt text anywhere in it; no JSON file any more.
        var sessionsText = bed.StoredSessionsText;
        Assert.Contains(aiSession, sessionsText);
        Assert.DoesNotContain("still here", sessionsText);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(bed.StoreFile)!, "detached-runs.db*"))
        {
            Assert.DoesNotContain("still here", File.ReadAllText(file));
            if (!OperatingSystem.IsWindows()) Assert.Equal(0x180, OwnerOnly.GetUnixMode(file));
        }
        Assert.DoesNotContain("still here", File.ReadAllText(bed.AuditLog));
        Assert.False(File.Exists(bed.LegacySessionsFile));
    }

    [Fact]
    public async Task Chat_text_arrives_while_the_ai_is_still_writing()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        using var client = bed.Client("ana");
        var go = Path.Combine(bed.Scratch, "go");
        await using var stream = await ChatStream.OpenAsync(client, NewUuid(), $"say: first chunk\nwait-for: {go}\nsay: second chunk\ntokens: 1 1");
        await stream.UntilAsync("chat_text", "first chunk");

        // The stand-in cannot have finished: it is waiting for a file that only now gets created.
        var pid = await bed.StandInPidAsync();
        Assert.True(ProcessProbe.IsAlive(pid), "the AI should still be running when its first chunk arrives");
        Assert.DoesNotContain("second chunk", stream.Text);
        File.WriteAllText(go, "");

        await stream.ReadAllAsync();
        Assert.Equal("first chunk\nsecond chunk", stream.Text);
        Assert.Equal("chat_done", ChatStream.Type(stream.Last));
    }

    [Fact]
    public async Task Malformed_json_lines_among_good_ones_are_skipped_and_plain_text_ais_work()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        using var client = bed.Client("ana");

        await using var mixed = await ChatStream.TurnAsync(client, NewUuid(), "say: before\nmalformed\nsay: after\ntokens: 5 6");
        Assert.Equal("before\nafter", mixed.Text);
        Assert.Equal("chat_done", ChatStream.Type(mixed.Last));
        Assert.Equal(5, mixed.Last.GetProperty("tokensIn").GetInt64());
        Assert.Equal(6, mixed.Last.GetProperty("tokensOut").GetInt64());

        var plainUuid = NewUuid();
        await using var plain = await ChatStream.TurnAsync(client, plainUuid, "plain\nsay: just words\nsay: {\"not\": json\nwrite: p.txt x");
        Assert.Equal("just words\n{\"not\": json\n", plain.Text);
        Assert.Contains(plain.Events, e => ChatStream.Type(e) == "chat_diff");
        Assert.Equal(0, plain.Last.GetProperty("tokensIn").GetInt64());
        Assert.Equal(0, plain.Last.GetProperty("tokensOut").GetInt64());

        // A plain-text AI reports no session id, so the next turn cannot resume one: it runs without --resume.
        await using var again = await ChatStream.TurnAsync(client, plainUuid, "plain\nsay: more");
        var againStart = again.Events.Single(e => ChatStream.Type(e) == "chat_turn_start");
        Assert.Equal(1, againStart.GetProperty("turnIndex").GetInt32());
        Assert.Equal(JsonValueKind.Null, againStart.GetProperty("sessionId").ValueKind); // no AI session id to report
        Assert.DoesNotContain("--resume", bed.ArgsLog[^1]);
    }

    [Fact]
    public async Task An_ai_crash_mid_turn_fails_the_turn_restores_the_checkout_and_the_session_goes_on()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = NewUuid();

        await using var first = await ChatStream.TurnAsync(client, uuid, "say: one\ntokens: 10 1");
        var aiSession = Assert.Single(Directory.GetFiles(Path.Combine(bed.StandInDir, "sessions"))).Split('/')[^1];

        await using var crash = await ChatStream.TurnAsync(client, uuid, "say: working on it\nwrite: half.txt partial\nwrite: src/app.txt broken\ncrash");
        Assert.Equal("working on it", crash.Text);
        var error = crash.Last;
        Assert.Equal("error", ChatStream.Type(error));
        Assert.Equal("turn_failed", error.GetProperty("code").GetString());
        Assert.True(error.GetProperty("recoverable").GetBoolean());
        Assert.Contains("code 3", error.GetProperty("message").GetString());
        Assert.Contains("crashing on purpose", error.GetProperty("message").GetString());
        Assert.DoesNotContain(crash.Events, e => ChatStream.Type(e) is "chat_diff" or "chat_done");
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);

        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal("error", status.GetProperty("status").GetString());
        Assert.Contains("code 3", status.GetProperty("errorMessage").GetString());
        Assert.Single(bed.AuditLines()); // only the successful turn

        // The failed turn did not count: the retry has index 1 again, resuming turn one's session.
        await using var retry = await ChatStream.TurnAsync(client, uuid, "say: turn {turn}");
        Assert.Equal(1, retry.Events.Single(e => ChatStream.Type(e) == "chat_turn_start").GetProperty("turnIndex").GetInt32());
        Assert.EndsWith("--resume " + aiSession, bed.ArgsLog[^1]);
        Assert.Equal("done", (await bed.StatusAsync("ana", uuid)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_turn_past_the_timeout_is_stopped_with_its_processes_and_the_checkout_restored()
    {
        await using var bed = await ChatTestBed.StartAsync(new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "3" }); // time for the stand-in to speak on a loaded box
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = NewUuid();

        await using var turn = await ChatStream.TurnAsync(client, uuid, "say: thinking\nwrite: slow.txt x\nhang");
        Assert.Equal("thinking", turn.Text);
        Assert.Equal("turn_failed", turn.Last.GetProperty("code").GetString());
        Assert.Contains("PW_TIMEOUT_SEC", turn.Last.GetProperty("message").GetString());
        Assert.False(ProcessProbe.IsAlive(await bed.StandInPidAsync()));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("error", (await bed.StatusAsync("ana", uuid)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_turn_stops_the_ai_and_the_checkout_is_restored()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = NewUuid();

        var stream = await ChatStream.OpenAsync(client, uuid, "write: d.txt x\nsay: started\nhang");
        await stream.UntilAsync("chat_text", "started");
        var pid = await bed.StandInPidAsync();
        Assert.True(File.Exists(Path.Combine(repo.Path, "d.txt")));
        await stream.DisposeAsync();

        Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(15)), "the AI should be stopped when its client goes away");
        var status = await ProcessProbe.PollAsync(() => bed.StatusAsync("ana", uuid), s => s.GetProperty("status").GetString() != "in_flight", TimeSpan.FromSeconds(15));
        Assert.Equal("error", status.GetProperty("status").GetString());
        Assert.Contains("client went away", status.GetProperty("errorMessage").GetString());
        await ProcessProbe.PollAsync(() => Task.FromResult(repo.Status), s => s == "", TimeSpan.FromSeconds(10));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Empty(bed.AuditLines());
        var queue = JsonDocument.Parse(await client.GetStringAsync("/queue")).RootElement;
        Assert.Equal(0, queue.GetProperty("inFlight").GetArrayLength());
    }

    [Fact]
    public async Task Sessions_survive_agent_restarts_and_a_kill_mid_turn()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        var uuid = NewUuid();
        using (var client = bed.Client("ana"))
            await using (var first = await ChatStream.TurnAsync(client, uuid, "say: turn {turn}\ntokens: 4 2")) Assert.Equal("turn 1", first.Text);
        var aiSession = Assert.Single(Directory.GetFiles(Path.Combine(bed.StandInDir, "sessions"))).Split('/')[^1];

        await bed.RestartAsync();
        using (var client = bed.Client("ana"))
        {
            Assert.Equal(1, (await bed.StatusAsync("ana", uuid)).GetProperty("turnCount").GetInt32());
            await using var second = await ChatStream.TurnAsync(client, uuid, "say: turn {turn}\ntokens: 1 1");
            Assert.Equal("turn 2", second.Text);
            Assert.EndsWith("--resume " + aiSession, bed.ArgsLog[^1]);

            // Killed (-9) in the middle of turn three: on the next start the turn is failed, not left in flight, and the checkout is back.
            var hung = await ChatStream.OpenAsync(client, uuid, "write: src/app.txt half-written\nsay: turn {turn}\nhang");
            await hung.UntilAsync("chat_text", "turn 3");
            Assert.Equal("half-written\n", File.ReadAllText(Path.Combine(repo.Path, "src", "app.txt")));
            await bed.RestartAsync(hard: true);
            await hung.DisposeAsync();
        }
        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal("error", status.GetProperty("status").GetString());
        Assert.Contains("agent stopped", status.GetProperty("errorMessage").GetString());
        Assert.Equal(5, status.GetProperty("tokensIn").GetInt64());
        CheckoutAssert.SameTree(before, repo.Path);

        using (var client = bed.Client("ana"))
        {
            await using var third = await ChatStream.TurnAsync(client, uuid, "say: turn {turn}");
            Assert.Equal("turn 3", third.Text);
            Assert.EndsWith("--resume " + aiSession, bed.ArgsLog[^1]);
        }
    }

    [Fact]
    public async Task A_session_id_from_the_ai_that_is_not_a_uuid_never_reaches_the_command_line()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        using var client = bed.Client("ana");
        const string good = "3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f";
        var hostile = new[] { "--dangerously-skip-permissions", "--resume x --dangerously-skip-permissions", "with spaces", good + " -x", good + "\\n--print" };

        // A session whose AI printed a bad id: its next turn starts fresh, with no --resume at all.
        foreach (var id in hostile)
        {
            var fresh = NewUuid();
            await using var turn = await ChatStream.TurnAsync(client, fresh, $"session: {id}\nsay: turn {{turn}}");
            Assert.Equal("chat_done", ChatStream.Type(turn.Last));
            await using var next = await ChatStream.TurnAsync(client, fresh, "say: next");
            Assert.DoesNotContain("--resume", bed.ArgsLog[^1]);
            Assert.DoesNotContain("dangerously", bed.ArgsLog[^1]);
        }

        // A session that has a good id keeps it when a later turn prints a bad one, and resumes with the good one.
        var kept = NewUuid();
        await using (var first = await ChatStream.TurnAsync(client, kept, $"session: {good}\nsay: first")) Assert.Equal("chat_done", ChatStream.Type(first.Last));
        await using (var second = await ChatStream.TurnAsync(client, kept, "session: --dangerously-skip-permissions\nsay: second")) Assert.Equal("chat_done", ChatStream.Type(second.Last));
        Assert.EndsWith("--resume " + good, bed.ArgsLog[^1]);
        await using (var third = await ChatStream.TurnAsync(client, kept, "say: third")) Assert.Equal("chat_done", ChatStream.Type(third.Last));
        Assert.EndsWith("--resume " + good, bed.ArgsLog[^1]);

        Assert.DoesNotContain(bed.ArgsLog, line => line.Contains("dangerously", StringComparison.Ordinal));
        Assert.DoesNotContain("dangerously", bed.StoredSessionsText);
        Assert.Equal("done", (await bed.StatusAsync("ana", kept)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task One_turn_at_a_time_per_session_and_a_session_stays_with_its_project()
    {
        await using var bed = await ChatTestBed.StartAsync(new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_PER_USER"] = "2" });
        bed.CreateCheckout("ana");
        bed.CreateCheckout("ana", "other");
        using var client = bed.Client("ana");
        var uuid = NewUuid();
        var go = Path.Combine(bed.Scratch, "go");

        await using var running = await ChatStream.OpenAsync(client, uuid, $"say: busy\nwait-for: {go}");
        await running.UntilAsync("chat_text", "busy");
        await using (var second = await ChatStream.OpenAsync(client, uuid, "say: me too"))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.Status);
            Assert.Contains("turn in flight", second.ErrorBody);
        }
        using (var delete = await client.DeleteAsync($"/session/{uuid}"))
            Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal("in_flight", (await bed.StatusAsync("ana", uuid)).GetProperty("status").GetString());

        // Another session may run meanwhile (in another project: one checkout holds one run at a time).
        await using (var other = await ChatStream.TurnAsync(client, NewUuid(), "say: parallel", "other"))
            Assert.Equal("chat_done", ChatStream.Type(other.Last));

        File.WriteAllText(go, "");
        await running.ReadAllAsync();
        Assert.Equal("chat_done", ChatStream.Type(running.Last));
        Assert.Equal(2, bed.ArgsLog.Length); // the refused turn never ran
        await using (var moved = await ChatStream.OpenAsync(client, uuid, "say: elsewhere", "other"))
        {
            Assert.Equal(HttpStatusCode.Conflict, moved.Status);
            Assert.Contains("another project", moved.ErrorBody);
        }
    }
}
