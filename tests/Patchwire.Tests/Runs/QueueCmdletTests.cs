using System.Management.Automation;

namespace Patchwire.Tests.Runs;

[Collection(PowerShellCollection.Name)]
public sealed class QueueCmdletTests
{
    private const string HoldingAi = """
        id=$(cat)
        while [ ! -f "$NOTES/release" ]; do sleep 0.05; done
        """;

    [Fact]
    public async Task Queue_works_from_a_folder_on_a_PowerShell_drive()
    {
        await using var bed = await RunsTestBed.StartAsync("true");
        using var laptop = new TempDirectory("pw-laptop");
        var project = Directory.CreateDirectory(Path.Combine(laptop.Path, "team-app")).FullName;
        using var ps = new PowerShellSession(laptop.Combine("home"), new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = bed.Token("ben") });
        ps.Invoke($"New-PSDrive -Name pwq -PSProvider FileSystem -Root '{project}' | Out-Null; Set-Location pwq:");

        var queue = ps.Invoke("Get-PatchwireQueue").Single();
        Assert.Empty((string[])queue.Properties["InFlight"].Value);
        var lines = ps.Invoke("patchwire queue").Select(o => o.ToString()).ToList();
        Assert.Equal(0, (int)ps.GetVariable("LASTEXITCODE")!);
        Assert.Equal($"{bed.Agent.BaseUrl}: 0 of 3 slots in use (1 per user)", lines[0]);
    }

    [Fact]
    public async Task Get_PatchwireQueue_and_patchwire_queue_show_the_running_and_waiting_requests()
    {
        await using var bed = await RunsTestBed.StartAsync(HoldingAi, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1", ["PW_MAX_CONCURRENT_PER_USER"] = "1" });
        bed.CreateCheckout("ana", "app");
        bed.CreateCheckout("ben", "app");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");
        await using var running = await AskStream.OpenAsync(ana, new { prompt = "hold", project = "app" });
        await running.NextAsync();
        await using var waiting = await AskStream.OpenAsync(ben, new { prompt = "wait", project = "app" });
        await waiting.NextAsync();
        using var laptop = new TempDirectory("pw-laptop");

        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = bed.Token("ben") }))
        {
            var queue = ps.Invoke("Get-PatchwireQueue").Single();
            Assert.Equal("Patchwire.PowerShell.Queue.PatchwireQueue", queue.BaseObject.GetType().FullName);
            Assert.Equal(1, (int)queue.Properties["GlobalCap"].Value);
            Assert.Equal(1, (int)queue.Properties["PerUserCap"].Value);
            Assert.Equal(new[] { "ana" }, (string[])queue.Properties["InFlight"].Value);
            Assert.Equal(0, (int)queue.Properties["FreeSlots"].Value);
            var queued = ps.Invoke("(Get-PatchwireQueue).Queued | ForEach-Object { '{0}={1}' -f $_.User, $_.Position }").Select(o => o.ToString());
            Assert.Equal(new[] { "ben=1" }, queued);

            var view = string.Join("\n", ps.Invoke("Get-PatchwireQueue | Out-String -Width 200").Select(o => o.ToString()));
            Assert.Matches(@"GlobalCap\s*:\s*1\s+PerUserCap\s*:\s*1\s+FreeSlots\s*:\s*0", view);
            Assert.Contains("1. ben", view);

            var lines = ps.Invoke("patchwire queue").Select(o => o.ToString()).ToList();
            Assert.Equal(0, (int)ps.GetVariable("LASTEXITCODE")!);
            Assert.Equal($"{bed.Agent.BaseUrl}: 1 of 1 slots in use (1 per user)", lines[0]);
            Assert.Equal("running: ana", lines[1]);
            Assert.Equal("waiting:", lines[2]);
            Assert.Equal("     1  ben", lines[3]);

            var json = ps.Invoke("patchwire queue --json").Single().ToString();
            Assert.Equal("{\"globalCap\":1,\"perUserCap\":1,\"inFlight\":[\"ana\"],\"queued\":[{\"user\":\"ben\",\"position\":1}]}", json);

            var help = string.Join("\n", ps.Invoke("patchwire queue --help").Select(o => o.ToString()));
            Assert.Contains("usage: patchwire queue", help);
        }

        File.WriteAllText(bed.Note("release"), "");
        await running.ReadAllAsync();
        await waiting.ReadAllAsync();
        Assert.Equal("result", waiting.Final.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_bad_token_or_an_unreachable_agent_is_a_terminating_error_a_person_can_act_on()
    {
        await using var bed = await RunsTestBed.StartAsync("exit 0");
        using var laptop = new TempDirectory("pw-laptop");
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = "pw_" + new string('1', 64) }))
        {
            var denied = Terminating(ps);
            Assert.Equal(ErrorCategory.AuthenticationError, denied.CategoryInfo.Category);
            Assert.Contains("patchwire setup --token", denied.Exception.Message);

            var (_, errors) = ps.Run("patchwire queue");
            Assert.Single(errors);
            Assert.Equal(1, (int)ps.GetVariable("LASTEXITCODE")!);
        }
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = "http://127.0.0.1:1", ["PW_TOKEN"] = "pw_" + new string('1', 64) }))
        {
            var unreachable = Terminating(ps);
            Assert.Equal(ErrorCategory.ConnectionError, unreachable.CategoryInfo.Category);
            Assert.Contains("Cannot reach the Patchwire agent", unreachable.Exception.Message);
        }
    }

    [Fact]
    public void No_token_or_a_broken_patchwire_yml_is_a_clear_error_before_any_request()
    {
        using var laptop = new TempDirectory("pw-laptop");
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = "http://127.0.0.1:1" }))
        {
            var noToken = Terminating(ps);
            Assert.Contains("patchwire setup", noToken.Exception.Message);
            Assert.DoesNotContain("Cannot reach", noToken.Exception.Message);
            var (_, errors) = ps.Run("patchwire queue");
            Assert.Single(errors);
            Assert.Equal(1, (int)ps.GetVariable("LASTEXITCODE")!);
        }
        File.WriteAllText(Path.Combine(laptop.Path, "patchwire.yml"), "remote:\n  token: ${PW_UNSET_FOR_QUEUE_TEST}\n");
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = "http://127.0.0.1:1" }))
        {
            ps.Invoke($"Set-Location '{laptop.Path}'");
            var broken = Terminating(ps);
            Assert.Contains("PW_UNSET_FOR_QUEUE_TEST", broken.Exception.Message);
        }
    }

    /// <summary>Runs Get-PatchwireQueue expecting a terminating error (try/catch sees it, the next statement never runs).</summary>
    private static ErrorRecord Terminating(PowerShellSession ps)
    {
        var output = ps.Invoke("try { Get-PatchwireQueue; 'not terminated' } catch { $_ }");
        var record = Assert.IsType<ErrorRecord>(Assert.Single(output).BaseObject);
        return record;
    }
}
