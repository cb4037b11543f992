using Patchwire.PowerShell.Ask;

namespace Patchwire.Tests.Runs;

/// <summary>
/// Blank keep-alive lines (PW_KEEPALIVE_SEC) keep a long /ask alive through a proxy that cuts connections idle for a
/// few seconds; without them the same proxy cuts the run (which proves the proxy bites).
/// </summary>
[Collection(PowerShellCollection.Name)]
public sealed class KeepAliveTests
{
    private static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(3);

    /// <summary>Runs for three idle limits, saying nothing, then changes a file.</summary>
    private const string SlowAi = """
        cat >/dev/null
        sleep 9
        echo "slow change" >> src/app.txt
        """;

    [Theory]
    [InlineData("1", true)]
    [InlineData("60", false)]
    public async Task A_run_longer_than_the_proxy_idle_limit_delivers_its_result_only_with_keep_alive_lines(string keepAliveSec, bool delivered)
    {
        await using var bed = await RunsTestBed.StartAsync(SlowAi, new Dictionary<string, string?> { ["PW_KEEPALIVE_SEC"] = keepAliveSec });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        await using var proxy = new IdleCuttingProxy(new Uri(bed.Agent.BaseUrl), IdleLimit);
        using var client = new HttpClient { BaseAddress = new Uri(proxy.Url), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", bed.Token("ana"));

        await using var ask = await AskStream.OpenAsync(client, new { prompt = "slow", project = "app" });
        try { await ask.ReadAllAsync(); }
        catch (IOException) when (!delivered) { } // the cut connection

        if (delivered)
        {
            Assert.Equal("result", ask.Final.GetProperty("type").GetString());
            Assert.Contains("+slow change", ask.Final.GetProperty("diff").GetString());
            Assert.True(ask.BlankLines >= 3, $"expected keep-alive lines, got {ask.BlankLines}");
            Assert.Equal(0, proxy.ConnectionsCut);
        }
        else
        {
            Assert.DoesNotContain(ask.Events, e => e.GetProperty("type").GetString() == "result");
            Assert.Equal(1, proxy.ConnectionsCut);
            // The agent noticed the client was gone: it stopped the run and restored the checkout.
            var queue = await ProcessProbe.PollAsync(() => bed.QueueAsync("ana"), q => q.GetProperty("inFlight").GetArrayLength() == 0, TimeSpan.FromSeconds(20));
            Assert.Equal(0, queue.GetProperty("inFlight").GetArrayLength());
        }
        await ProcessProbe.PollAsync(() => Task.FromResult(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")).Length), n => n == 0, TimeSpan.FromSeconds(20));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task The_module_skips_keep_alive_lines_and_gets_the_result_through_the_cutting_proxy()
    {
        await using var bed = await Laptop.LaptopTestBed.StartAsync("sleep 9\necho \"slow change\" >> f.txt", new Dictionary<string, string?> { ["PW_KEEPALIVE_SEC"] = "1" });
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        await using var proxy = new IdleCuttingProxy(new Uri(bed.Agent.BaseUrl), IdleLimit);
        using var session = bed.Session(token, proxy.Url);

        var result = (PatchwireAskResult)session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'slow'")[0].BaseObject;

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("+slow change", result.Diff);
        Assert.Equal(0, proxy.ConnectionsCut);
    }
}
