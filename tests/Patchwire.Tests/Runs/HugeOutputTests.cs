using System.Text.Json;
using Patchwire.Tests.DetachedRuns;

namespace Patchwire.Tests.Runs;

/// <summary>
/// An AI that writes far more than anyone can use (issue 11, item 7): the agent's memory stays bounded
/// (its peak resident set, VmHWM, read from /proc), the client gets a clear answer, and the checkout is restored.
/// </summary>
public sealed class HugeOutputTests
{
    private const long FiveHundredMB = 500_000_000;
    private const long MemoryBound = 300L * 1024 * 1024;
    /// <summary>Not a timed check: how long to wait for an event while git hashes and diffs 500 MB on a busy machine.</summary>
    private static readonly TimeSpan SlowMachine = TimeSpan.FromMinutes(5);

    /// <summary>Text lines (no NUL, under core.bigFileThreshold), so git diffs them line by line: a patch of about 500 MB.</summary>
    private static readonly string WriteHugeFiles =
        $"yes 'an AI that writes far too much into the checkout, line after line after line' | head -c {FiveHundredMB / 2} > huge-a.txt\n" +
        $"yes 'another file of the same, to be sure more than one file adds up' | head -c {FiveHundredMB / 2} > src/huge-b.txt\n" +
        "echo 'done writing'";

    [Fact]
    public async Task An_AI_that_writes_500_MB_into_files_gets_diff_failed_naming_the_limit_with_agent_memory_under_300_MB_and_the_checkout_restored()
    {
        if (!OperatingSystem.IsLinux()) return; // VmHWM is read from /proc
        await using var bed = await RunsTestBed.StartAsync(WriteHugeFiles);
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.OpenAsync(client, new { prompt = "write a lot", project = "app" });
        await ask.ReadAllAsync(SlowMachine);

        var peak = ProcessProbe.PeakResidentBytes(bed.Agent.Pid);
        Assert.Equal(new[] { "accepted", "error" }, ask.Events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("diff_failed", ask.Final.GetProperty("code").GetString());
        var message = ask.Final.GetProperty("message").GetString()!;
        Assert.Contains("PW_MAX_DIFF_BYTES", message);
        Assert.Contains("64 MiB", message);
        Assert.Contains("restored", message);
        Assert.True(peak < MemoryBound, $"the agent's peak resident set was {peak / (1024 * 1024)} MiB");

        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));

        // The AI did run (and spent what it spent): the audit line says how it ended.
        var line = JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(bed.Home, "agent.log")))).RootElement;
        Assert.Equal("diff_failed", line.GetProperty("error").GetString());
        Assert.Equal("ana", line.GetProperty("user").GetString());
        Assert.Equal(0, line.GetProperty("exit_code").GetInt32());
        Assert.False(line.TryGetProperty("files", out _));
    }

    [Fact]
    public async Task An_AI_that_prints_500_MB_gets_its_output_cut_at_the_cap_with_agent_memory_under_300_MB()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var bed = await RunsTestBed.StartAsync(
            $"yes 'an AI that talks far too much' | head -c {FiveHundredMB}\nhead -c {FiveHundredMB} /dev/zero >&2\necho small change >> src/app.txt");
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.OpenAsync(client, new { prompt = "talk a lot", project = "app" });
        await ask.ReadAllAsync(SlowMachine);

        var peak = ProcessProbe.PeakResidentBytes(bed.Agent.Pid);
        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        var stdout = ask.Final.GetProperty("stdout").GetString()!;
        Assert.True(stdout.Length < 1024 * 1024 + 200, $"stdout came back with {stdout.Length} characters");
        Assert.EndsWith($"[patchwire: output truncated after 1048576 bytes; {FiveHundredMB - 1024 * 1024} more bytes dropped]\n", stdout);
        Assert.Contains("more bytes dropped]", ask.Final.GetProperty("stderr").GetString());
        Assert.Contains("+small change", ask.Final.GetProperty("diff").GetString());
        Assert.True(peak < MemoryBound, $"the agent's peak resident set was {peak / (1024 * 1024)} MiB");
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task A_diff_just_under_PW_MAX_DIFF_BYTES_comes_back_whole_and_one_just_over_is_diff_failed_with_the_checkout_restored()
    {
        // 3000 lines of 20 bytes: the patch is about 66 KB.
        await using var bed = await RunsTestBed.StartAsync(
            "n=$(cat \"$NOTES/lines\")\nfor i in $(seq 1 \"$n\"); do printf 'generated line %05d\\n' \"$i\"; done > gen.txt",
            new Dictionary<string, string?> { ["PW_MAX_DIFF_BYTES"] = "70000" });
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        File.WriteAllText(bed.Note("lines"), "3000");
        await using (var ask = await AskStream.RunAsync(client, new { prompt = "generate", project = "app" }))
        {
            Assert.Equal("result", ask.Final.GetProperty("type").GetString());
            var diff = ask.Final.GetProperty("diff").GetString()!;
            Assert.InRange(diff.Length, 60_000, 70_000);
            var copy = CheckoutAssert.ApplyToCopy(repo, head, diff, bed.Temp);
            Assert.Equal(3000, copy.Read("gen.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(3000, ask.Final.GetProperty("changes")[0].GetProperty("additions").GetInt32());
        }
        CheckoutAssert.SameTree(before, repo.Path);

        File.WriteAllText(bed.Note("lines"), "3300");
        await using (var ask = await AskStream.RunAsync(client, new { prompt = "generate more", project = "app" }))
        {
            Assert.Equal("error", ask.Final.GetProperty("type").GetString());
            Assert.Equal("diff_failed", ask.Final.GetProperty("code").GetString());
            Assert.Contains("70000 bytes", ask.Final.GetProperty("message").GetString());
            Assert.Contains("PW_MAX_DIFF_BYTES", ask.Final.GetProperty("message").GetString());
        }
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);

        var audit = File.ReadAllLines(Path.Combine(bed.Home, "agent.log")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, audit.Count);
        Assert.False(audit[0].TryGetProperty("error", out _));
        Assert.Equal(1, audit[0].GetProperty("files").GetInt32());
        Assert.Equal("diff_failed", audit[1].GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_detached_run_over_PW_MAX_DIFF_BYTES_fails_with_diff_failed_and_its_events_hold_no_diff_while_a_large_one_under_it_succeeds()
    {
        await using var bed = await RunsTestBed.StartAsync(
            "yes 'a detached run that writes a lot' | head -c \"$(cat \"$NOTES/bytes\")\" > big.txt",
            new Dictionary<string, string?> { ["PW_MAX_DIFF_BYTES"] = "1000000" });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        File.WriteAllText(bed.Note("bytes"), "2000000");
        var over = await DetachedRunClient.StartAsync(client, new { prompt = "write a lot", project = "app" });
        var run = await DetachedRunClient.WaitAsync(client, over);
        Assert.Equal("failed", DetachedRunClient.State(run));
        Assert.Contains("PW_MAX_DIFF_BYTES", run.GetProperty("message").GetString());
        Assert.Equal("diff_failed", run.GetProperty("result").GetProperty("code").GetString());
        var (_, events, text) = await DetachedRunClient.EventsAsync(client, over);
        Assert.Equal("diff_failed", events[^1].GetProperty("code").GetString());
        Assert.True(text.Length < 10_000, $"the run's events are {text.Length} characters long");
        CheckoutAssert.SameTree(before, repo.Path);

        // A result line far longer than the small events (about 300 KB of diff) is recorded as the run's result.
        File.WriteAllText(bed.Note("bytes"), "300000");
        var under = await DetachedRunClient.StartAsync(client, new { prompt = "write less", project = "app" });
        run = await DetachedRunClient.WaitAsync(client, under);
        Assert.Equal("succeeded", DetachedRunClient.State(run));
        Assert.InRange(run.GetProperty("result").GetProperty("diff").GetString()!.Length, 300_000, 1_000_000);
        (_, events, _) = await DetachedRunClient.EventsAsync(client, under);
        Assert.Equal("result", events[^1].GetProperty("type").GetString());
        var listed = (await DetachedRunClient.GetAsync(client, "/runs")).Body.EnumerateArray().Single(r => r.GetProperty("id").GetString() == under);
        Assert.Equal(new[] { "big.txt" }, listed.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.False(listed.TryGetProperty("result", out _));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task A_detached_run_with_a_60_MB_diff_is_recorded_and_served_by_GET_runs_id_events_and_list_whole_with_agent_memory_under_300_MB()
    {
        if (!OperatingSystem.IsLinux()) return; // VmHWM is read from /proc
        // Lines of 40 bytes: a patch of about 61.5 MB, under PW_MAX_DIFF_BYTES' default of 64 MiB.
        await using var bed = await RunsTestBed.StartAsync("yes 'a detached run with a very large diff' | head -c 60000000 > big.txt");
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        client.Timeout = SlowMachine;

        var id = await DetachedRunClient.StartAsync(client, new { prompt = "write a big file", project = "app" });
        var run = await DetachedRunClient.WaitAsync(client, id, seconds: (int)SlowMachine.TotalSeconds);
        Assert.Equal("succeeded", DetachedRunClient.State(run));
        var diff = run.GetProperty("result").GetProperty("diff").GetString()!;
        Assert.InRange(diff.Length, 60_000_000, 64 * 1024 * 1024);
        Assert.Equal("result", run.GetProperty("result").GetProperty("type").GetString());
        Assert.False(run.GetProperty("result").TryGetProperty("seq", out _));
        Assert.Equal(new[] { "big.txt" }, run.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        var copy = CheckoutAssert.ApplyToCopy(repo, head, diff, bed.Temp);
        Assert.Equal(60_000_000, new FileInfo(Path.Combine(copy.Path, "big.txt")).Length);
        run = default;

        var (status, events, _) = await DetachedRunClient.EventsAsync(client, id);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal("result", events[^1].GetProperty("type").GetString());
        Assert.Equal(diff, events[^1].GetProperty("diff").GetString());
        events = null;
        diff = null;

        var listed = (await DetachedRunClient.GetAsync(client, "/runs")).Body.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal(new[] { "big.txt" }, listed.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.False(listed.TryGetProperty("result", out _));

        var peak = ProcessProbe.PeakResidentBytes(bed.Agent.Pid);
        Assert.True(peak < MemoryBound, $"the agent's peak resident set was {peak / (1024 * 1024)} MiB");
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1")]
    [InlineData("1023")]
    [InlineData("1073741825")]
    public async Task A_bad_PW_MAX_DIFF_BYTES_stops_the_start_naming_the_setting(string value)
    {
        using var home = new TempDirectory();
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_MAX_DIFF_BYTES"] = value });
        Assert.NotEqual(0, exit);
        Assert.Contains("PW_MAX_DIFF_BYTES", output);
        Assert.DoesNotContain("   at ", output);
    }
}
