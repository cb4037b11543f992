using System.Net;
using System.Text.Json;
using Patchwire.Core.IO;
using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

/// <summary>
/// Chat sessions in the embedded store: the old agent-sessions.json moved in on start (once, kept as a backup), a
/// file that is not one stops the start, and PW_MAX_SESSIONS_PER_USER expires the longest-idle sessions.
/// </summary>
public sealed class SessionStoreTests
{
    private static string Iso(DateTimeOffset t) => t.ToString("O");

    /// <summary>One session as agent-sessions.json (format version 1) held it.</summary>
    private static object OldSession(string user, string uuid, string status = "done", int turns = 1, string? ai = null,
        DateTimeOffset? started = null, long tokensIn = 0, string project = "app")
    {
        var at = started ?? DateTimeOffset.UtcNow.AddHours(-1);
        return new
        {
            uuid, user, project, aiSessionId = ai, turnCount = turns, status,
            createdAt = Iso(at.AddMinutes(-1)), startedAt = Iso(at), tokensIn, tokensOut = 1L, durationMs = 1500L,
        };
    }

    private static string OldFile(IEnumerable<object> sessions) =>
        JsonSerializer.Serialize(new { version = 1, sessions = sessions.ToList() }, new JsonSerializerOptions { WriteIndented = true });

    [Fact]
    public async Task An_old_sessions_file_is_moved_into_the_store_once_and_its_sessions_go_on()
    {
        var done = Guid.NewGuid().ToString();
        var interrupted = Guid.NewGuid().ToString();
        var bens = Guid.NewGuid().ToString();
        const string aiSession = "0b8e6f43-2a51-4c7e-9d3a-5e6f7a8b9c0d";
        var started = DateTimeOffset.UtcNow.AddDays(-2);
        var text = OldFile(new[]
        {
            OldSession("ana", done.ToUpperInvariant(), turns: 3, ai: aiSession, started: started, tokensIn: 40),
            OldSession("ana", interrupted, status: "in_flight", turns: 1),
            OldSession("ana", "not-a-uuid"),
            OldSession("ben", bens),
        });
        await using var bed = await ChatTestBed.StartAsync(prepare: b =>
        {
            File.WriteAllText(b.LegacySessionsFile, text);
            // The stand-in knows the AI session, as Claude Code would: resuming it works.
            Directory.CreateDirectory(Path.Combine(b.StandInDir, "sessions"));
            File.WriteAllText(Path.Combine(b.StandInDir, "sessions", aiSession), "3\n");
        });
        bed.CreateCheckout("ana");
        var backup = bed.LegacySessionsFile + ".migrated";

        var line = Assert.Single(bed.Agent.Output, l => l.Contains("chat session(s)"));
        Assert.Equal($"patchwire-agent: moved 3 chat session(s) from {bed.LegacySessionsFile} into {bed.StoreFile}; the old file is kept as {backup}.", line);
        Assert.False(File.Exists(bed.LegacySessionsFile));
        Assert.Equal(text, File.ReadAllText(backup));
        if (!OperatingSystem.IsWindows()) Assert.Equal(0x180, OwnerOnly.GetUnixMode(backup));

        var status = await bed.StatusAsync("ana", done);
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(3, status.GetProperty("turnCount").GetInt32());
        Assert.Equal(40, status.GetProperty("tokensIn").GetInt64());
        Assert.Equal(started.ToUnixTimeMilliseconds(), status.GetProperty("startedAt").GetInt64());
        var cut = await bed.StatusAsync("ana", interrupted);
        Assert.Equal("error", cut.GetProperty("status").GetString());
        Assert.Contains("agent stopped", cut.GetProperty("errorMessage").GetString());
        Assert.Equal("done", (await bed.StatusAsync("ben", bens)).GetProperty("status").GetString());

        // The moved session resumes the AI's session, and counts on from its three turns.
        using (var client = bed.Client("ana"))
        {
            await using var turn = await ChatStream.TurnAsync(client, done, "say: turn {turn}");
            Assert.Equal("turn 4", turn.Text);
            Assert.Equal(3, turn.Events.Single(e => ChatStream.Type(e) == "chat_turn_start").GetProperty("turnIndex").GetInt32());
            Assert.EndsWith("--resume " + aiSession, bed.ArgsLog[^1]);
        }

        // Once only: a restart moves nothing. A start that died after the move but before the rename finds the file
        // again: rows already in the store win (turn 4 is kept), and the file is set aside under a second name.
        await bed.RestartAsync();
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("chat session(s)"));
        File.Copy(backup, bed.LegacySessionsFile);
        await bed.RestartAsync();
        Assert.Contains(bed.Agent.Output, l => l.StartsWith($"patchwire-agent: moved 0 chat session(s) from {bed.LegacySessionsFile}"));
        Assert.Equal(4, (await bed.StatusAsync("ana", done)).GetProperty("turnCount").GetInt32());
        Assert.Equal(2, Directory.GetFiles(bed.Home, "agent-sessions.json.migrated*").Length);
        Assert.Equal(3, StateStore.SessionRows(bed.StoreFile).Count);
    }

    [Fact]
    public async Task A_sessions_file_that_is_not_one_stops_the_start_naming_it_and_nothing_is_changed()
    {
        var cases = new[] { "{ not json", "{\"version\": 1}", "[1, 2]", "{\"version\": 1, \"sessions\": [{\"uuid\": 42}]}" };
        foreach (var text in cases)
        {
            using var home = new TempDirectory("pw-sessions-bad");
            var file = home.Combine("agent-sessions.json");
            File.WriteAllText(file, text);
            var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "bash" });
            Assert.True(exit != 0, $"{text}: the agent started");
            Assert.Contains($"{file} is not a chat sessions file this agent can read", output);
            Assert.Contains("Nothing was changed", output);
            Assert.DoesNotContain("   at ", output);
            Assert.Equal(text, File.ReadAllText(file));
            Assert.Equal(new[] { file }, Directory.GetFiles(home.Path, "agent-sessions*")); // no backup, no copy set aside
            Assert.False(File.Exists(StateStore.FileIn(home.Path)));
        }
    }

    [Fact]
    public async Task Four_thousand_fresh_sessions_keep_two_hundred_the_longest_idle_expire_first()
    {
        var now = DateTimeOffset.UtcNow;
        // ana's sessions were each last active a minute after the one before: index 3999 is the newest.
        var anas = Enumerable.Range(0, 4000).Select(_ => Guid.NewGuid().ToString()).ToList();
        var bens = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString()).ToList();
        var sessions = anas.Select((uuid, i) => OldSession("ana", uuid, started: now.AddMinutes(i - 5000)))
            .Concat(bens.Select(uuid => OldSession("ben", uuid, started: now.AddDays(-30))));
        await using var bed = await ChatTestBed.StartAsync(prepare: b => File.WriteAllText(b.LegacySessionsFile, OldFile(sessions)));
        bed.CreateCheckout("ana");

        Assert.Contains(bed.Agent.Output, l => l.Contains("moved 4005 chat session(s)") && l.Contains("expired 3800 idle chat session(s) beyond PW_MAX_SESSIONS_PER_USER=200"));
        var kept = StateStore.SessionRows(bed.StoreFile, "user = 'ana'").Select(r => (string)r["uuid"]!).ToHashSet();
        Assert.Equal(anas.Skip(3800).ToHashSet(), kept);
        Assert.Equal(5, StateStore.SessionRows(bed.StoreFile, "user = 'ben'").Count); // another user's sessions do not count

        // A new session's first turn expires the longest-idle one; the count stays at the cap.
        using var client = bed.Client("ana");
        var fresh = Guid.NewGuid().ToString();
        await using (var turn = await ChatStream.TurnAsync(client, fresh, "say: hi")) Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        var listed = JsonDocument.Parse(await client.GetStringAsync("/sessions")).RootElement.GetProperty("sessions").EnumerateArray()
            .Select(s => s.GetProperty("uuid").GetString()!).ToList();
        Assert.Equal(200, listed.Count);
        Assert.Contains(fresh, listed);
        Assert.DoesNotContain(anas[3800], listed);
        await bed.StatusAsync("ana", anas[3800], HttpStatusCode.NotFound);

        // A turn on a kept session makes it the most recently active: the next new session expires another.
        await using (var turn = await ChatStream.TurnAsync(client, anas[3801], "say: still here")) Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        await using (var turn = await ChatStream.TurnAsync(client, Guid.NewGuid().ToString(), "say: hi")) Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        Assert.Equal("done", (await bed.StatusAsync("ana", anas[3801])).GetProperty("status").GetString());
        await bed.StatusAsync("ana", anas[3802], HttpStatusCode.NotFound);
        Assert.Equal(200, StateStore.SessionRows(bed.StoreFile, "user = 'ana'").Count);
    }

    [Fact]
    public async Task A_new_session_is_refused_while_every_kept_one_is_busy_and_bad_caps_stop_the_start()
    {
        await using var bed = await ChatTestBed.StartAsync(new Dictionary<string, string?>
        {
            ["PW_MAX_SESSIONS_PER_USER"] = "1",
            ["PW_MAX_CONCURRENT_PER_USER"] = "2",
        });
        bed.CreateCheckout("ana");
        var other = GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ana", "other"));
        other.Write("a.txt", "a\n");
        other.CommitAll("other");
        using var client = bed.Client("ana");
        var busy = Guid.NewGuid().ToString();
        var release = Path.Combine(bed.Scratch, "release");

        await using var running = await ChatStream.OpenAsync(client, busy, $"say: working\nwait-for: {release}");
        await running.UntilAsync("chat_text", "working");
        var fresh = Guid.NewGuid().ToString();
        await using (var refused = await ChatStream.OpenAsync(client, fresh, "say: hi", "other"))
        {
            Assert.Equal((HttpStatusCode)429, refused.Status);
            var body = JsonDocument.Parse(refused.ErrorBody!).RootElement;
            Assert.Equal("too many sessions", body.GetProperty("error").GetString());
            Assert.Equal("too_many_sessions", body.GetProperty("code").GetString());
            Assert.False(body.GetProperty("ok").GetBoolean());
            Assert.Contains("PW_MAX_SESSIONS_PER_USER", body.GetProperty("hint").GetString());
        }
        await bed.StatusAsync("ana", fresh, HttpStatusCode.NotFound);
        Assert.Equal("in_flight", (await bed.StatusAsync("ana", busy)).GetProperty("status").GetString());

        File.WriteAllText(release, "");
        await running.ReadAllAsync();
        Assert.Equal("chat_done", ChatStream.Type(running.Last));
        await using (var turn = await ChatStream.TurnAsync(client, fresh, "say: now", "other")) Assert.Equal("now", turn.Text);
        await bed.StatusAsync("ana", busy, HttpStatusCode.NotFound);

        foreach (var bad in new[] { "0", "-1", "lots", "1000001", "2.5" })
        {
            using var home = new TempDirectory("pw-sessions-cap");
            var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_MAX_SESSIONS_PER_USER"] = bad });
            Assert.True(exit != 0, $"PW_MAX_SESSIONS_PER_USER={bad}: the agent started");
            Assert.Contains($"PW_MAX_SESSIONS_PER_USER must be a whole number from 1 to 1000000, got '{bad}'", output);
        }
    }
}
