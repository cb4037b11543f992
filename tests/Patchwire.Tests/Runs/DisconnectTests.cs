namespace Patchwire.Tests.Runs;

public sealed class DisconnectTests
{
    /// <summary>"hold" runs until NOTES/release exists; "hang" edits, starts a grandchild and sleeps; anything else is quick.</summary>
    private const string Ai = """
        id=$(cat)
        echo "start $id" >> "$NOTES/log"
        case "$id" in
          hold*) while [ ! -f "$NOTES/release" ]; do sleep 0.05; done ;;
          hang*)
            echo "half-made change" >> src/app.txt
            echo new > src/new-file.txt
            sleep 300 &
            echo $! > "$NOTES/grandchild.pid"
            echo $$ > "$NOTES/ai.pid"
            sleep 300 ;;
          *) echo "quick change" >> src/app.txt ;;
        esac
        echo "end $id" >> "$NOTES/log"
        """;

    [Fact]
    public async Task A_queued_request_whose_client_goes_away_leaves_the_queue_and_never_runs()
    {
        await using var bed = await RunsTestBed.StartAsync(Ai, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        foreach (var user in new[] { "ana", "ben", "cy" }) bed.CreateCheckout(user, "app");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");
        using var cy = bed.Client("cy");

        await using var holding = await AskStream.OpenAsync(ana, new { prompt = "hold", project = "app" });
        Assert.Equal("accepted", (await holding.NextAsync())!.Value.GetProperty("type").GetString());
        var leaving = await AskStream.OpenAsync(ben, new { prompt = "ben-leaves", project = "app" });
        var queued = (await leaving.NextAsync())!.Value;
        Assert.Equal("queued", queued.GetProperty("type").GetString());
        Assert.Equal(1, queued.GetProperty("position").GetInt32());
        Assert.Equal("ben", (await bed.QueueAsync("ana")).GetProperty("queued")[0].GetProperty("user").GetString());

        await leaving.DisposeAsync();
        var queue = await ProcessProbe.PollAsync(() => bed.QueueAsync("ana"), q => q.GetProperty("queued").GetArrayLength() == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, queue.GetProperty("queued").GetArrayLength());

        await using var next = await AskStream.OpenAsync(cy, new { prompt = "cy-after", project = "app" });
        Assert.Equal(1, (await next.NextAsync())!.Value.GetProperty("position").GetInt32());
        File.WriteAllText(bed.Note("release"), "");
        await holding.ReadAllAsync();
        await next.ReadAllAsync();

        Assert.Equal("result", holding.Final.GetProperty("type").GetString());
        Assert.Equal("result", next.Final.GetProperty("type").GetString());
        var log = File.ReadAllText(bed.Note("log"));
        Assert.DoesNotContain("ben-leaves", log);
        Assert.Equal("", new GitRepo(bed.CheckoutPath("ben", "app")).Status);
    }

    [Fact]
    public async Task A_running_request_whose_client_goes_away_is_stopped_restored_and_frees_its_slot()
    {
        await using var bed = await RunsTestBed.StartAsync(Ai);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");

        var running = await AskStream.OpenAsync(ana, new { prompt = "hang", project = "app" });
        Assert.Equal("accepted", (await running.NextAsync())!.Value.GetProperty("type").GetString());
        var aiPid = await WaitForPidAsync(bed.Note("ai.pid"));
        var grandchildPid = await WaitForPidAsync(bed.Note("grandchild.pid"));
        var runFolder = Assert.Single(Directory.GetDirectories(Path.Combine(bed.Agent.ProjectsRoot, "ana", ".patchwire-runs")));
        Assert.NotEqual("", new GitRepo(runFolder).Status);

        await running.DisposeAsync();

        Assert.True(await ProcessProbe.WaitGoneAsync(aiPid, TimeSpan.FromSeconds(10)), "the AI kept running after its client left");
        Assert.True(await ProcessProbe.WaitGoneAsync(grandchildPid, TimeSpan.FromSeconds(10)), "the AI's grandchild kept running after its client left");
        var queue = await ProcessProbe.PollAsync(() => bed.QueueAsync("ana"), q => q.GetProperty("inFlight").GetArrayLength() == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, queue.GetProperty("inFlight").GetArrayLength());
        Assert.False(Directory.Exists(runFolder), "the stopped run's folder was left");

        // Per-user cap 1: this only runs if the slot was freed.
        await using var next = await AskStream.RunAsync(ana, new { prompt = "quick", project = "app" });
        Assert.Equal("accepted", next.Events[0].GetProperty("type").GetString());
        Assert.Equal("result", next.Final.GetProperty("type").GetString());
        Assert.DoesNotContain("half-made", next.Final.GetProperty("diff").GetString());
        Assert.Equal(new[] { "src/app.txt" }, next.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    internal static async Task<int> WaitForPidAsync(string file)
    {
        var text = await ProcessProbe.PollAsync(() => Task.FromResult(File.Exists(file) ? File.ReadAllText(file).Trim() : ""), t => t.Length > 0, TimeSpan.FromSeconds(20));
        Assert.True(text.Length > 0, $"{file} never appeared");
        return int.Parse(text);
    }
}
