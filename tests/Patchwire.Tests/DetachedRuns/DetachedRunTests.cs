using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Patchwire.Tests.Runs;
using static Patchwire.Tests.DetachedRuns.DetachedRunClient;

namespace Patchwire.Tests.DetachedRuns;

public sealed class DetachedRunTests
{
    /// <summary>"block": the AI notes its pid and waits for a release file; anything else edits one file.</summary>
    private const string BlockingAi = """
        prompt=$(cat)
        if [ "$prompt" = "block" ]; then
          echo "half-made" >> src/app.txt
          echo $$ > "$NOTES/ai.pid"
          while [ ! -f "$NOTES/release" ]; do sleep 0.05; done
        else
          touch "$NOTES/started-$prompt"
        fi
        echo "edited by the AI" >> src/app.txt
        """;

    [Fact]
    public async Task A_detached_run_answers_202_at_once_runs_like_ask_and_keeps_its_result_and_numbered_events()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");
        const string prompt = "secret-prompt-text-4711";

        var id = await StartAsync(ana, new { prompt, project = "app" });
        var run = await WaitAsync(ana, id);

        Assert.Equal("succeeded", State(run));
        Assert.Equal("app", run.GetProperty("project").GetString());
        Assert.Equal("ana", run.GetProperty("user").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))), run.GetProperty("promptSha256").GetString());
        var result = run.GetProperty("result");
        Assert.Equal("result", result.GetProperty("type").GetString());
        Assert.Equal(new[] { "src/app.txt" }, result.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("+edited by the AI", result.GetProperty("diff").GetString());
        CheckoutAssert.SameTree(before, repo.Path);

        var (status, events, _) = await EventsAsync(ana, id);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal("accepted", events[0].GetProperty("type").GetString());
        Assert.Equal("result", events[^1].GetProperty("type").GetString());
        Assert.Equal(events.Count, run.GetProperty("events").GetInt32());

        // Resuming: after the last event there is nothing more; past it is an error; after=1 skips the first.
        Assert.Empty((await EventsAsync(ana, id, $"?after={events.Count}")).Events);
        var past = await EventsAsync(ana, id, $"?after={events.Count + 1}");
        Assert.Equal(HttpStatusCode.BadRequest, past.Status);
        Assert.Contains("past the last event", past.Text);
        Assert.Equal(HttpStatusCode.BadRequest, (await EventsAsync(ana, id, "?after=-1")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await EventsAsync(ana, id, "?after=abc")).Status);
        Assert.Equal(Enumerable.Range(2, events.Count - 1), (await EventsAsync(ana, id, "?after=1")).Events.Select(e => e.GetProperty("seq").GetInt32()));

        var list = (await GetAsync(ana, "/runs")).Body;
        Assert.Equal(id, Assert.Single(list.EnumerateArray()).GetProperty("id").GetString());
        Assert.False(Assert.Single(list.EnumerateArray()).TryGetProperty("result", out _), "the list carries no diffs");
        Assert.Equal(new[] { "src/app.txt" }, Assert.Single(list.EnumerateArray()).GetProperty("files").EnumerateArray().Select(f => f.GetString()));

        // The same /ask audit line; the prompt's text nowhere on disk, the store owner-only.
        var audit = File.ReadAllLines(Path.Combine(bed.Home, "agent.log")).Select(l => JsonDocument.Parse(l).RootElement).Single();
        Assert.Equal("/ask", audit.GetProperty("route").GetString());
        Assert.Equal(run.GetProperty("promptSha256").GetString(), audit.GetProperty("prompt_sha256").GetString());
        var store = Path.Combine(bed.Home, "agent-state", "detached-runs.db");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
        foreach (var file in Directory.GetFiles(bed.Home, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(prompt, Encoding.UTF8.GetString(File.ReadAllBytes(file)));

        Assert.Equal(HttpStatusCode.Conflict, (await ana.DeleteAsync("/runs/" + id)).StatusCode);
    }

    [Fact]
    public async Task Missing_foreign_and_malformed_ids_and_bad_bodies_are_refused_and_start_nothing()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi);
        bed.CreateCheckout("ana", "app");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");
        var id = await StartAsync(ana, new { prompt = "one", project = "app" });
        await WaitAsync(ana, id);

        foreach (var path in new[] { $"/runs/{id}", $"/runs/{id}/events", "/runs/" + Guid.NewGuid().ToString("N") })
        {
            var (status, body) = await GetAsync(ben, path);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("run not found", body.GetProperty("error").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await ben.DeleteAsync("/runs/" + id)).StatusCode);
        Assert.Empty((await GetAsync(ben, "/runs")).Body.EnumerateArray());
        foreach (var bad in new[] { "abc", id.ToUpperInvariant(), id + "0", "..%2F..%2Fx" })
        {
            var (status, body) = await GetAsync(ana, "/runs/" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid run id", body.GetProperty("error").GetString());
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await ana.DeleteAsync("/runs/xyz")).StatusCode);

        // Pre-flight failures are plain HTTP, as for /ask, and leave no run behind.
        using (var noProject = await ana.PostAsJsonAsync("/runs", new { prompt = "x" })) Assert.Equal(HttpStatusCode.BadRequest, noProject.StatusCode);
        using (var missing = await ana.PostAsJsonAsync("/runs", new { prompt = "x", project = "nope" })) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var badName = await ana.PostAsJsonAsync("/runs", new { prompt = "x", project = "../ben" })) Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using (var notJson = await ana.PostAsync("/runs", new StringContent("{nope", Encoding.UTF8, "application/json"))) Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using (var noToken = bed.Agent.Client()) Assert.Equal(HttpStatusCode.Unauthorized, (await noToken.GetAsync("/runs")).StatusCode);
        Assert.Single((await GetAsync(ana, "/runs")).Body.EnumerateArray());
        Assert.False(File.Exists(bed.Note("started-x")));
    }

    [Fact]
    public async Task Delete_takes_a_queued_run_out_of_the_queue_and_kills_a_running_one_restoring_the_checkout_while_followers_see_it_live()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        var repo = bed.CreateCheckout("ana", "app");
        bed.CreateCheckout("ben", "web");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");

        var running = await StartAsync(ana, new { prompt = "block", project = "app" });
        var aiPid = await DisconnectTests.WaitForPidAsync(bed.Note("ai.pid"));
        Assert.Equal("running", State(await RunAsync(ana, running)));
        var queued = await StartAsync(ben, new { prompt = "queued", project = "web" });
        var waiting = await WaitAsync(ben, queued, r => r.TryGetProperty("position", out _));
        Assert.Equal("queued", State(waiting));
        Assert.Equal(1, waiting.GetProperty("position").GetInt32());

        // A follower of the running run's events, reading live until the final event.
        var follower = EventsAsync(ana, running);

        using (var cancel = await ben.DeleteAsync("/runs/" + queued))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            Assert.Equal("cancelled", State(JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement));
        }
        var queuedEvents = (await EventsAsync(ben, queued)).Events;
        Assert.Equal(new[] { "queued", "error" }, queuedEvents.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("cancelled", queuedEvents[^1].GetProperty("code").GetString());
        Assert.Equal(0, (await bed.QueueAsync("ana")).GetProperty("queued").GetArrayLength());

        using (var cancel = await ana.DeleteAsync("/runs/" + running)) Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.True(await ProcessProbe.WaitGoneAsync(aiPid, TimeSpan.FromSeconds(10)), "the AI kept running after DELETE");
        var cancelled = await RunAsync(ana, running);
        Assert.Equal("cancelled", State(cancelled));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);

        var followed = await follower;
        Assert.Equal(HttpStatusCode.OK, followed.Status);
        Assert.Equal("accepted", followed.Events[0].GetProperty("type").GetString());
        Assert.Equal("cancelled", followed.Events[^1].GetProperty("code").GetString());
        Assert.False(File.Exists(bed.Note("started-queued")), "the cancelled queued run started its AI");
        Assert.False(File.Exists(Path.Combine(bed.Home, "agent.log")) && File.ReadAllText(Path.Combine(bed.Home, "agent.log")).Length > 0, "cancelled runs are not audited");

        // The slot is free again.
        File.WriteAllText(bed.Note("release"), "");
        var next = await StartAsync(ben, new { prompt = "after", project = "web" });
        Assert.Equal("succeeded", State(await WaitAsync(ben, next)));
    }

    [Fact]
    public async Task After_kill_9_the_restarted_agent_marks_running_and_queued_runs_failed_and_restores_the_checkout()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        var repo = bed.CreateCheckout("ana", "app");
        bed.CreateCheckout("ben", "web");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using (var ana = bed.Client("ana"))
        using (var ben = bed.Client("ben"))
        {
            var running = await StartAsync(ana, new { prompt = "block", project = "app" });
            await DisconnectTests.WaitForPidAsync(bed.Note("ai.pid"));
            var queued = await StartAsync(ben, new { prompt = "queued", project = "web" });
            await WaitAsync(ben, queued, r => r.TryGetProperty("position", out _));
            bed.Agent.KillHard();
            File.WriteAllText(bed.Note("ids"), running + " " + queued);
        }

        await bed.RestartAsync();
        var ids = File.ReadAllText(bed.Note("ids")).Split(' ');
        using var ana2 = bed.Client("ana");
        using var ben2 = bed.Client("ben");
        var wasRunning = await RunAsync(ana2, ids[0]);
        Assert.Equal("failed", State(wasRunning));
        Assert.Contains("stopped while this run was running", wasRunning.GetProperty("message").GetString());
        Assert.Equal("agent_restarted", wasRunning.GetProperty("result").GetProperty("code").GetString());
        var wasQueued = await RunAsync(ben2, ids[1]);
        Assert.Equal("failed", State(wasQueued));
        Assert.Contains("restarted before this run started; ask again", wasQueued.GetProperty("message").GetString());
        Assert.Equal("agent_restarted", (await EventsAsync(ben2, ids[1])).Events[^1].GetProperty("code").GetString());
        Assert.Contains(bed.Agent.Output, l => l.Contains(ids[0]) && l.Contains("marked failed"));
        CheckoutAssert.SameTree(before, repo.Path);
        // The running one's folder is gone (recovery), the queued one never had one.
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(bed.Agent.ProjectsRoot, "ana", ".patchwire-runs")));
        Assert.False(Directory.Exists(Path.Combine(bed.Agent.ProjectsRoot, "ben", ".patchwire-runs")));

        File.WriteAllText(bed.Note("release"), "");
        var again = await StartAsync(ana2, new { prompt = "again", project = "app" });
        Assert.Equal("succeeded", State(await WaitAsync(ana2, again)));
    }

    [Fact]
    public async Task A_store_file_from_an_older_agent_without_final_seq_is_upgraded_at_start_and_its_results_are_served_as_before()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi);
        bed.CreateCheckout("ana", "app");
        using (var ana = bed.Client("ana"))
            Assert.Equal("succeeded", State(await WaitAsync(ana, await StartAsync(ana, new { prompt = "one", project = "app" }))));
        bed.Agent.KillHard();

        // What an older agent left: no final_seq column, a result kept whole in final_event and again as its event row.
        const string id = "0123456789abcdef0123456789abcdef";
        const string result = "{\"type\":\"result\",\"files\":[\"old.txt\"],\"diff\":\"+kept by an older agent \\u00e9\\n\"}";
        var file = Path.Combine(bed.Home, "agent-state", "detached-runs.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $$"""
                ALTER TABLE runs DROP COLUMN final_seq;
                INSERT INTO runs (id, user, project, prompt_sha256, state, created_ms, started_ms, finished_ms, final_event, event_count)
                VALUES ('{{id}}', 'ana', 'app', 'abc', 'succeeded', $now, $now, $now, $result, 2);
                INSERT INTO events (run_id, seq, line) VALUES ('{{id}}', 1, '{"seq":1,"type":"accepted"}'), ('{{id}}', 2, '{"seq":2,' || substr($result, 2));
                """;
            command.Parameters.AddWithValue("$result", result);
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }

        await bed.RestartAsync();
        using var ana2 = bed.Client("ana");
        var (runStatus, run) = await GetAsync(ana2, "/runs/" + id);
        Assert.True(runStatus == HttpStatusCode.OK, $"GET /runs/{id} answered {(int)runStatus}: {run}; agent: {string.Join('\n', bed.Agent.Output)}");
        Assert.Equal("succeeded", State(run));
        Assert.Equal("+kept by an older agent \u00e9\n", run.GetProperty("result").GetProperty("diff").GetString());
        Assert.Equal(new[] { "old.txt" }, run.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        var (status, events, _) = await EventsAsync(ana2, id);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new[] { 1, 2 }, events.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal("+kept by an older agent \u00e9\n", events[1].GetProperty("diff").GetString());
        var listed = (await GetAsync(ana2, "/runs")).Body.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal(new[] { "old.txt" }, listed.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.False(listed.TryGetProperty("result", out _));

        // New runs are recorded in the upgraded file.
        File.WriteAllText(bed.Note("release"), "");
        Assert.Equal("succeeded", State(await WaitAsync(ana2, await StartAsync(ana2, new { prompt = "two", project = "app" }))));
    }

    [Fact]
    public async Task Results_older_than_the_retention_are_swept_and_bad_retention_values_stop_the_start()
    {
        // 0.0005 h = 1.8 s: long enough to read the result first, short enough for a quick sweep.
        await using var bed = await RunsTestBed.StartAsync(BlockingAi, new Dictionary<string, string?> { ["PW_RUN_RETENTION_HOURS"] = "0.0005" });
        bed.CreateCheckout("ana", "app");
        using var ana = bed.Client("ana");
        var id = await StartAsync(ana, new { prompt = "short-lived", project = "app" });
        Assert.Equal("succeeded", State(await WaitAsync(ana, id)));

        var gone = await ProcessProbe.PollAsync(() => GetAsync(ana, "/runs/" + id), r => r.Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await EventsAsync(ana, id)).Status);
        Assert.Empty((await GetAsync(ana, "/runs")).Body.EnumerateArray());

        foreach (var bad in new[] { "abc", "0", "-1", "1e3" })
        {
            var home = Directory.CreateDirectory(Path.Combine(bed.Temp, "home-" + Guid.NewGuid().ToString("N")[..6])).FullName;
            var (exit, output) = await AgentProcess.RunToExitAsync(home,
                new Dictionary<string, string?> { ["PW_RUN_RETENTION_HOURS"] = bad });
            Assert.NotEqual(0, exit);
            Assert.Contains("PW_RUN_RETENTION_HOURS", output);
        }
    }

    [Fact]
    public async Task Two_hundred_detached_runs_from_twenty_users_never_exceed_the_caps_and_all_succeed()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            u=$(basename "$HOME")
            touch "$NOTES/run.$u.$$"
            echo "$(ls "$NOTES" | grep -c '^run\.') $(ls "$NOTES" | grep -c "^run\.$u\.")" >> "$NOTES/counts"
            sleep 0.05
            echo "$(cat)" >> src/app.txt
            rm "$NOTES/run.$u.$$"
            """, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "3", ["PW_MAX_CONCURRENT_PER_USER"] = "2" });
        var users = Enumerable.Range(1, 20).Select(i => $"user{i:00}").ToList();
        foreach (var user in users) bed.CreateCheckout(user, "app");
        var clients = users.ToDictionary(u => u, bed.Client);
        try
        {
            var started = await Task.WhenAll(users.SelectMany(u => Enumerable.Range(1, 10).Select(async i => (User: u, Id: await StartAsync(clients[u], new { prompt = $"p{i}", project = "app" })))));
            foreach (var (user, id) in started)
            {
                var run = await WaitAsync(clients[user], id, seconds: 240);
                Assert.True(State(run) == "succeeded", $"{user}/{id}: {run}");
            }
            var counts = File.ReadAllLines(bed.Note("counts")).Select(l => l.Split(' ').Select(int.Parse).ToArray()).ToList();
            Assert.Equal(200, counts.Count);
            Assert.True(counts.Max(c => c[0]) <= 3, "global cap exceeded");
            // Per-user cap 2 with one project each: runs of one project run side by side in folders of their own.
            Assert.True(counts.Max(c => c[1]) <= 2, "per-user cap exceeded");
            foreach (var user in users) Assert.Equal(10, (await GetAsync(clients[user], "/runs")).Body.GetArrayLength());
            Assert.All(users, u => Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(bed.Agent.ProjectsRoot, u, ".patchwire-runs"))));
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }
    }
}
