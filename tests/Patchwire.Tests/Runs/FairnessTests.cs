using System.Text.Json;

namespace Patchwire.Tests.Runs;

public sealed class FairnessTests
{
    /// <summary>The stand-in logs when each request (named by its prompt) starts and ends, to a file outside the checkouts.</summary>
    private const string LoggingAi = """
        id=$(cat)
        echo "start $id $(date +%s%N)" >> "$NOTES/log"
        sleep 1
        echo "touched by $id" >> src/app.txt
        echo "end $id $(date +%s%N)" >> "$NOTES/log"
        """;

    // Long enough that the second request is surely accepted and counted while the first still runs, on a loaded box.
    private static readonly string SlowLoggingAi = LoggingAi.Replace("sleep 1", "sleep 4");

    [Fact]
    public async Task Three_users_under_caps_2_and_1_are_served_in_arrival_order_with_skip_over_and_never_above_a_cap()
    {
        await using var bed = await RunsTestBed.StartAsync(LoggingAi, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_TOTAL"] = "2",
            ["PW_MAX_CONCURRENT_PER_USER"] = "1",
        });
        var users = new Dictionary<char, string> { ['A'] = "ana", ['B'] = "ben", ['C'] = "cy" };
        foreach (var user in users.Values) bed.CreateCheckout(user, "app");
        var clients = users.ToDictionary(u => u.Key, u => bed.Client(u.Value));
        var arrival = new[] { "A1", "A2", "A3", "B1", "B2", "C1", "C2" };

        // Sent one after another, each only once the previous one is in (its first event read), so arrival order is known.
        var streams = new List<AskStream>();
        var firstEvents = new List<JsonElement>();
        foreach (var id in arrival)
        {
            var stream = await AskStream.OpenAsync(clients[id[0]], new { prompt = id, project = "app" });
            streams.Add(stream);
            firstEvents.Add((await stream.NextAsync())!.Value);
        }
        var queue = await bed.QueueAsync("ana");

        var positions = firstEvents.Select(e => e.GetProperty("type").GetString() == "queued" ? e.GetProperty("position").GetInt32() : 0).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 0, 3, 4, 5 }, positions);
        Assert.Equal(2, queue.GetProperty("globalCap").GetInt32());
        Assert.Equal(1, queue.GetProperty("perUserCap").GetInt32());
        Assert.Equal(new[] { "ana", "ben" }, queue.GetProperty("inFlight").EnumerateArray().Select(e => e.GetString()).Order());
        Assert.Equal(new[] { ("ana", 1), ("ana", 2), ("ben", 3), ("cy", 4), ("cy", 5) },
            queue.GetProperty("queued").EnumerateArray().Select(e => (e.GetProperty("user").GetString(), e.GetProperty("position").GetInt32())));

        foreach (var stream in streams) await stream.ReadAllAsync();
        foreach (var (stream, id) in streams.Zip(arrival))
        {
            Assert.Equal("result", stream.Final.GetProperty("type").GetString());
            Assert.Contains($"+touched by {id}", stream.Final.GetProperty("diff").GetString());
            var accepted = stream.Events.Single(e => e.GetProperty("type").GetString() == "accepted");
            if (positions[Array.IndexOf(arrival, id)] > 0) Assert.True(accepted.GetProperty("queueWaitMs").GetInt64() > 500, $"{id} waited too little");
        }

        var log = File.ReadAllLines(bed.Note("log"))
            .Select(l => l.Split(' '))
            .Select(p => (Kind: p[0], Id: p[1], At: long.Parse(p[2])))
            .OrderBy(e => e.At)
            .ToList();
        Assert.Equal(arrival.Length * 2, log.Count);

        // Replay against the rule: a start must be one of the first free-slot-many waiters whose user is under the cap.
        var waiting = arrival.ToList();
        var running = new List<string>();
        var maxTotal = 0;
        foreach (var (kind, id, _) in log)
        {
            if (kind == "end")
            {
                Assert.True(running.Remove(id), $"{id} ended without starting");
                continue;
            }
            var eligible = waiting.Where(w => running.All(r => r[0] != w[0])).GroupBy(w => w[0]).Select(g => g.First()).ToList();
            var free = 2 - running.Count;
            Assert.True(free > 0, $"{id} started while 2 runs were in flight: {string.Join(",", running)}");
            Assert.True(eligible.Take(free).Contains(id), $"{id} started, but the next in line were {string.Join(",", eligible.Take(free))} (waiting {string.Join(",", waiting)}, running {string.Join(",", running)})");
            Assert.DoesNotContain(running, r => r[0] == id[0]);
            waiting.Remove(id);
            running.Add(id);
            maxTotal = Math.Max(maxTotal, running.Count);
        }
        Assert.Empty(waiting);
        Assert.Equal(2, maxTotal);

        // Skip-over: ben's second request passed ana's third, which waited behind ana's second.
        var started = log.Where(e => e.Kind == "start").Select(e => e.Id).ToList();
        Assert.True(started.IndexOf("B2") < started.IndexOf("A3"), "order: " + string.Join(",", started));
        foreach (var user in "ABC")
        {
            var own = started.Where(s => s[0] == user).ToList();
            Assert.Equal(own.Order().ToList(), own);
        }

        foreach (var stream in streams) await stream.DisposeAsync();
        foreach (var client in clients.Values) client.Dispose();
        var after = await bed.QueueAsync("ana");
        Assert.Equal(0, after.GetProperty("inFlight").GetArrayLength());
        Assert.Equal(0, after.GetProperty("queued").GetArrayLength());
    }

    [Fact]
    public async Task With_run_worktrees_off_two_requests_of_one_user_for_one_project_take_turns_in_the_checkout()
    {
        // By default each run has a folder of its own and these two run side by side (ParallelRunTests).
        await using var bed = await RunsTestBed.StartAsync(SlowLoggingAi, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_TOTAL"] = "3",
            ["PW_MAX_CONCURRENT_PER_USER"] = "2",
            ["PW_RUN_WORKTREES"] = "off",
        });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");

        await using var first = await AskStream.OpenAsync(ana, new { prompt = "X1", project = "app" });
        await first.NextAsync();
        await using var second = await AskStream.OpenAsync(ana, new { prompt = "X2", project = "app" });
        Assert.Equal("accepted", (await second.NextAsync())!.Value.GetProperty("type").GetString());
        Assert.Equal(2, (await bed.QueueAsync("ana")).GetProperty("inFlight").GetArrayLength());
        await first.ReadAllAsync();
        await second.ReadAllAsync();

        // Each saw a clean checkout and got only its own change.
        Assert.EndsWith("line three\n+touched by X1\n", first.Final.GetProperty("diff").GetString());
        Assert.EndsWith("line three\n+touched by X2\n", second.Final.GetProperty("diff").GetString());
        var log = File.ReadAllLines(bed.Note("log")).Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]).ToList();
        Assert.Equal(new[] { "start X1", "end X1", "start X2", "end X2" }, log);
        CheckoutAssert.SameTree(before, repo.Path);
    }
}
