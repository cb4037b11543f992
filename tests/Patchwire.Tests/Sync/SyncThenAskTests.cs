using Patchwire.PowerShell.Client;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Sync;

/// <summary>The point of a sync: an /ask from its baseline starts from exactly the laptop's tree, so the diff applies there.</summary>
public sealed class SyncThenAskTests
{
    [Fact]
    public async Task An_ask_from_the_synced_baseline_returns_a_diff_that_applies_to_the_uncommitted_laptop_tree()
    {
        await using var bed = await RunsTestBed.StartAsync("set -e\nsed -i 's/draft/final/' notes/plan.txt\nprintf 'new\\n' > added.txt\nrm -f obsolete.txt");
        var token = bed.Token("ana");
        using var laptop = new TempDirectory();
        var repo = GitRepo.Init(laptop.Combine("site"));
        repo.Write("obsolete.txt", "old\n");
        repo.CommitAll("obsolete");
        repo.Write("README.md", "# sample, edited but not committed\n");
        repo.Write("notes/plan.txt", "a draft plan that exists only on the laptop\n");
        var settings = new ClientSettings { AgentUrl = bed.Agent.BaseUrl, Token = token, Project = "site", ProjectRoot = repo.Path };
        var synced = await SyncAgentFixture.SyncAsync(settings);
        File.WriteAllText(Path.Combine(bed.CheckoutPath("ana", "site"), "stray.txt"), "left on the box\n");

        using var client = bed.Client("ana");
        await using var ask = await AskStream.OpenAsync(client, new { prompt = "finalise the plan", project = "site", baseline = synced.Baseline });
        System.Text.Json.JsonElement? result = null;
        while (await ask.NextAsync() is { } e)
            if (e.GetProperty("type").GetString() == "result") result = e;

        Assert.True(result.HasValue, ask.ErrorBody ?? string.Join("\n", ask.Events));
        var diff = result.Value.GetProperty("diff").GetString()!;
        Assert.DoesNotContain("stray.txt", diff);
        var patch = laptop.Combine("ask.patch");
        File.WriteAllText(patch, diff);
        repo.Git("apply", "--check", patch);
        repo.Git("apply", patch);
        Assert.Equal("a final plan that exists only on the laptop\n", repo.Read("notes/plan.txt"));
        Assert.Equal("new\n", repo.Read("added.txt"));
        Assert.False(File.Exists(Path.Combine(repo.Path, "obsolete.txt")));
        Assert.Equal("# sample, edited but not committed\n", repo.Read("README.md"));
    }
}
