using System.Text.Json;

namespace Patchwire.Tests.Runs;

public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task After_kill_9_mid_run_the_restarted_agent_stops_the_orphaned_AI_and_restores_the_checkout()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            id=$(cat)
            if [ "$id" = "crash" ]; then
              cat "$NOTES"/../home/agent-state/runs/*.json > "$NOTES/journal-at-prompt.json"
              echo "half-made change" >> src/app.txt
              rm gone.txt
              echo new > new-file.txt
              git add -A && git commit -q -m "AI commit before the crash"
              sleep 300 &
              echo $! > "$NOTES/grandchild.pid"
              echo $$ > "$NOTES/ai.pid"
              while true; do sleep 0.1; done
            fi
            echo "after restart" >> src/app.txt
            """, new Dictionary<string, string?> { ["PW_RUN_WORKTREES"] = "off" }); // the checkout's restore (chat turns); ParallelRunTests has the run folder's
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using (var ana = bed.Client("ana"))
        {
            var running = await AskStream.OpenAsync(ana, new { prompt = "crash", project = "app" });
            await running.NextAsync();
            var aiPid = await DisconnectTests.WaitForPidAsync(bed.Note("ai.pid"));
            // Recovery can only find an AI whose pid was journaled before it got its prompt and went to work.
            using (var journal = JsonDocument.Parse(File.ReadAllText(bed.Note("journal-at-prompt.json"))))
            {
                var journaled = journal.RootElement.GetProperty("aiProcessId");
                Assert.Equal<int?>(aiPid, journaled.ValueKind == JsonValueKind.Number ? journaled.GetInt32() : null);
            }
            Assert.NotEqual(head, repo.Head);
            Assert.Single(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs"), "*.json"));

            bed.Agent.KillHard();
            await running.DisposeAsync();
            Assert.True(ProcessProbe.IsAlive(aiPid), "the AI should outlive a kill -9 of the agent (own session)");
        }

        await bed.RestartAsync();

        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(bed.Note("ai.pid")))), "the orphaned AI survived the restart");
        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(bed.Note("grandchild.pid")))), "the orphaned grandchild survived the restart");
        Assert.Contains(bed.Agent.Output, l => l.Contains("restored") && l.Contains(repo.Path));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("refs/heads/main", repo.Git("symbolic-ref", "HEAD").Trim());
        Assert.Equal("", repo.Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));

        using var again = bed.Client("ana");
        await using var ask = await AskStream.RunAsync(again, new { prompt = "next", project = "app" });
        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.Equal(new[] { "src/app.txt" }, ask.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task An_unreadable_journal_file_is_moved_aside_and_does_not_stop_the_start()
    {
        await using var bed = await RunsTestBed.StartAsync("exit 0");
        var runs = Path.Combine(bed.Home, "agent-state", "runs");
        Directory.CreateDirectory(runs);
        File.WriteAllText(Path.Combine(runs, "broken.json"), "{ not json");

        await bed.RestartAsync();

        Assert.True(File.Exists(Path.Combine(runs, "broken.json.unreadable")));
        Assert.Contains(bed.Agent.Output, l => l.Contains("unreadable"));
    }
}
