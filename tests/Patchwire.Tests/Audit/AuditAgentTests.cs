using System.Text;
using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.Core.IO;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Audit;

/// <summary>The real agent writing its audit log through POST /ask.</summary>
public sealed class AuditAgentTests
{
    private const string EditOneLine = "cat >/dev/null; echo 'line four' >> src/app.txt; sed -i '1d' src/app.txt";

    [Fact]
    public async Task One_ask_writes_one_line_and_the_prompt_text_appears_nowhere_under_PW_HOME()
    {
        await using var bed = await RunsTestBed.StartAsync(EditOneLine);
        bed.CreateCheckout("ana", "team-app");
        using var client = bed.Client("ana");
        var prompt = "Rename the secret-sauce-" + Guid.NewGuid().ToString("N") + " function ✓";

        await using var ask = await AskStream.RunAsync(client, new { prompt, project = "team-app" });
        Assert.Equal("result", ask.Final.GetProperty("type").GetString());

        var log = Path.Combine(bed.Home, "agent.log");
        var line = Assert.Single(File.ReadAllLines(log));
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(
            new[] { "ts", "user", "project", "route", "prompt_sha256", "duration_ms", "queue_wait_ms", "files", "lines_added", "lines_removed", "exit_code", "cost_usd", "cost_source" },
            root.EnumerateObject().Select(p => p.Name));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", root.GetProperty("ts").GetString());
        Assert.InRange(DateTimeOffset.Parse(root.GetProperty("ts").GetString()!), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow);
        Assert.Equal("ana", root.GetProperty("user").GetString());
        Assert.Equal("team-app", root.GetProperty("project").GetString());
        Assert.Equal("/ask", root.GetProperty("route").GetString());
        Assert.Equal(AuditEntry.HashPrompt(prompt), root.GetProperty("prompt_sha256").GetString());
        Assert.Equal(1, root.GetProperty("files").GetInt32());
        Assert.Equal(1, root.GetProperty("lines_added").GetInt32());
        Assert.Equal(1, root.GetProperty("lines_removed").GetInt32());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.Equal(ask.Final.GetProperty("durationMs").GetInt64(), root.GetProperty("duration_ms").GetInt64());
        Assert.Equal(ask.Events[0].GetProperty("queueWaitMs").GetInt64(), root.GetProperty("queue_wait_ms").GetInt64());
        if (!OperatingSystem.IsWindows()) Assert.Equal(0x180, OwnerOnly.GetUnixMode(log));

        // Stopped first, so that everything it keeps is on disk and no file is locked or half-replaced while it is read.
        await bed.Agent.StopAsync();
        var needle = Encoding.UTF8.GetBytes("secret-sauce-");
        foreach (var file in Directory.EnumerateFiles(bed.Home, "*", SearchOption.AllDirectories))
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(needle) < 0, "the prompt's text was written to " + file);
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("secret-sauce-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_asks_under_a_tiny_rotation_size_all_land_as_whole_lines()
    {
        await using var bed = await RunsTestBed.StartAsync(EditOneLine, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_TOTAL"] = "3",
            ["PW_AUDIT_LOG_MAX_BYTES"] = "1024",
            ["PW_AUDIT_LOG_MAX_FILES"] = "5",
        });
        var users = new[] { "ana", "ben", "carla" };
        foreach (var u in users) bed.CreateCheckout(u, "app");
        var asks = users.SelectMany(u => Enumerable.Range(0, 2).Select(async i =>
        {
            using var client = bed.Client(u);
            await using var ask = await AskStream.RunAsync(client, new { prompt = $"{u} {i}", project = "app" });
            Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        })).ToList();
        await Task.WhenAll(asks);

        var log = Path.Combine(bed.Home, "agent.log");
        var files = AuditFileSet.NewestFirst(log);
        Assert.True(files.Count >= 2, "six lines of ~300 bytes must have rotated a 1 KiB log");
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 1024));
        var reader = new AuditReader(log);
        var entries = reader.Read(new AuditQuery { Limit = 0 }).Select(r => r.Entry).ToList();
        Assert.Equal(0, reader.SkippedLines);
        Assert.Equal(
            users.SelectMany(u => new[] { AuditEntry.HashPrompt($"{u} 0"), AuditEntry.HashPrompt($"{u} 1") }).Order(),
            entries.Select(e => e.PromptSha256).Order());
    }

    [Fact]
    public async Task A_refused_ask_writes_no_line()
    {
        await using var bed = await RunsTestBed.StartAsync(EditOneLine);
        using var client = bed.Client("ana");
        await using var ask = await AskStream.OpenAsync(client, new { prompt = "hello", project = "no-such-project" });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, ask.Status);
        Assert.False(File.Exists(Path.Combine(bed.Home, "agent.log")));
    }

    [Fact]
    public async Task An_unwritable_audit_log_is_logged_as_an_error_and_the_turn_still_returns_its_result()
    {
        using var temp = new TempDirectory("pw-audit-bad");
        var blocker = temp.Combine("not-a-folder");
        File.WriteAllText(blocker, "a file where the log's folder should be");
        await using var bed = await RunsTestBed.StartAsync(EditOneLine, new Dictionary<string, string?> { ["PW_AUDIT_LOG"] = Path.Combine(blocker, "agent.log") });
        bed.CreateCheckout("ana", "app");
        using var client = bed.Client("ana");
        await using var ask = await AskStream.RunAsync(client, new { prompt = "the hidden prompt words", project = "app" });
        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!bed.Agent.Output.Any(l => l.Contains("Could not write the audit line")) && DateTime.UtcNow < deadline) await Task.Delay(50);
        var error = Assert.Single(bed.Agent.Output, l => l.Contains("Could not write the audit line"));
        Assert.Contains("ana", error);
        Assert.Contains(blocker, error);
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("hidden prompt"));
    }
}
