using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>SIGTERM (the service manager's stop, Ctrl+C): queued requests told, running runs given the grace, exit 0, nothing to recover.</summary>
public sealed class GracefulStopTests
{
    /// <summary>Changes the checkout, notes its pid, then waits for a file the test may create (or for ever).</summary>
    private const string Ai = """
        prompt=$(cat)
        echo "half-made change" >> src/app.txt
        echo new > new-file.txt
        git add -A && git commit -q -m "AI commit"
        project=$(basename "$PWD")
        name=${project%%.*}-$(basename "$HOME")
        echo $$ > "$NOTES/$name.pid"
        while [ ! -f "$NOTES/finish" ]; do sleep 0.1; done
        echo "finished change" >> src/app.txt
        """;

    [Fact]
    public async Task SIGTERM_with_three_queued_and_two_running_tells_every_client_restores_both_checkouts_and_exits_0()
    {
        await using var bed = await RunsTestBed.StartAsync(Ai, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_TOTAL"] = "2",
            ["PW_STOP_GRACE_SEC"] = "2",
        });
        var ana = bed.CreateCheckout("ana", "app");
        var ben = bed.CreateCheckout("ben", "app");
        bed.CreateCheckout("cy", "app");
        var (anaHead, benHead) = (ana.Head, ben.Head);
        var (anaBefore, benBefore) = (CheckoutAssert.Fingerprint(ana.Path), CheckoutAssert.Fingerprint(ben.Path));

        var streams = new List<AskStream>();
        try
        {
            foreach (var user in new[] { "ana", "ben" })
            {
                var running = await AskStream.OpenAsync(bed.Client(user), new { prompt = "long", project = "app" });
                Assert.Equal("accepted", (await running.NextAsync())!.Value.GetProperty("type").GetString());
                streams.Add(running);
            }
            var pids = new[] { await DisconnectTests.WaitForPidAsync(bed.Note("app-ana.pid")), await DisconnectTests.WaitForPidAsync(bed.Note("app-ben.pid")) };
            foreach (var (user, position) in new[] { ("ana", 1), ("ben", 2), ("cy", 3) })
            {
                var queued = await AskStream.OpenAsync(bed.Client(user), new { prompt = "later", project = "app" });
                var first = (await queued.NextAsync())!.Value;
                Assert.Equal("queued", first.GetProperty("type").GetString());
                Assert.Equal(position, first.GetProperty("position").GetInt32());
                streams.Add(queued);
            }

            await bed.Agent.StopAsync();

            Assert.True(bed.Agent.HasExited);
            Assert.Equal(0, bed.Agent.ExitCode);
            foreach (var stream in streams)
            {
                await stream.ReadAllAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("error", stream.Final.GetProperty("type").GetString());
                Assert.Equal("agent_stopping", stream.Final.GetProperty("code").GetString());
                Assert.Contains("shutting down", stream.Final.GetProperty("message").GetString());
            }
            // The queued ones were told at once, without ever being accepted.
            foreach (var queued in streams.Skip(2)) Assert.DoesNotContain(queued.Events, e => e.GetProperty("type").GetString() == "accepted");
            foreach (var pid in pids) Assert.False(ProcessProbe.IsAlive(pid), "an AI outlived the agent's stop");
            CheckoutAssert.SameTree(anaBefore, ana.Path);
            CheckoutAssert.SameTree(benBefore, ben.Path);
            Assert.Equal(anaHead, ana.Head);
            Assert.Equal(benHead, ben.Head);
            Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));
            Assert.Contains(bed.Agent.Output, l => l.Contains("Stopping: 3 queued") && l.Contains("2 running"));
            Assert.False(File.Exists(Path.Combine(bed.Home, "agent.log")), "a stopped run was audited");
        }
        finally
        {
            foreach (var stream in streams) await stream.DisposeAsync();
        }

        await bed.RestartAsync();
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("interrupted run") || l.Contains("unreadable"));
    }

    [Fact]
    public async Task A_run_that_finishes_within_the_grace_delivers_its_result_is_audited_and_the_agent_exits_0()
    {
        await using var bed = await RunsTestBed.StartAsync(Ai, new Dictionary<string, string?>
        {
            ["PW_STOP_GRACE_SEC"] = "120",
            ["PW_LAST_SEEN_FLUSH_SEC"] = "3600", // so only the stop writes it
        });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        await using var running = await AskStream.OpenAsync(bed.Client("ana"), new { prompt = "long", project = "app" });
        Assert.Equal("accepted", (await running.NextAsync())!.Value.GetProperty("type").GetString());
        await DisconnectTests.WaitForPidAsync(bed.Note("app-ana.pid"));

        var stopping = bed.Agent.StopAsync();
        await bed.Agent.WaitForOutputAsync(l => l.Contains("Stopping: 0 queued"));
        // The port no longer takes new connections while the run finishes.
        Assert.True(await ProcessProbe.PollAsync(() => RefusesConnectionsAsync(bed.Agent.BaseUrl), refused => refused, TimeSpan.FromSeconds(10)),
            "the stopping agent still took new connections");
        Assert.False(bed.Agent.HasExited);
        File.WriteAllText(bed.Note("finish"), "");
        await stopping;

        await running.ReadAllAsync();
        Assert.Equal("result", running.Final.GetProperty("type").GetString());
        Assert.Contains("+finished change", running.Final.GetProperty("diff").GetString());
        Assert.Equal(0, bed.Agent.ExitCode);
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));
        var audit = File.ReadAllLines(Path.Combine(bed.Home, "agent.log"));
        Assert.Single(audit);
        Assert.Equal("ana", JsonDocument.Parse(audit[0]).RootElement.GetProperty("user").GetString());
        // Last-seen is flushed at the stop.
        Assert.NotNull(bed.Agent.Registry.Find("ana")?.LastSeen);
    }

    private static async Task<bool> RefusesConnectionsAsync(string baseUrl)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await client.GetAsync("/health");
            return false;
        }
        catch (HttpRequestException) { return true; }
    }
}
