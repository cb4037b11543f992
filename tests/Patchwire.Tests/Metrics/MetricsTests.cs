using System.Net;
using System.Net.Sockets;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Sync;
using Patchwire.Tests.ChatTurns;
using Patchwire.Tests.DetachedRuns;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Metrics;

/// <summary>
/// GET /metrics on the real agent (issue 11, item 5): the counts after real asks, chat turns, a detached run and syncs
/// (stand-in AI: tests/fixtures/chat/stand-in-claude.sh), who may read it, and what it never shows.
/// </summary>
public sealed class MetricsTests
{
    private const string Unauthorized = "{\"error\":\"unauthorized\"}";
    private const string LoopbackOnly = "{\"error\":\"metrics are served to loopback clients only\"}";

    // The label values a scrape may hold: fixed sets, so the series count never grows with users or projects.
    private static readonly Dictionary<string, string[]> AllowedLabels = new()
    {
        ["route"] = new[] { "ask", "chat", "runs" },
        ["outcome"] = new[] { "finished", "failed", "cancelled" },
        ["reason"] = new[] { "client_gone", "agent_stopping" },
        ["kind"] = new[] { "full", "incremental" },
        ["state"] = new[] { "enabled", "disabled" },
    };

    [Fact]
    public async Task Runs_by_route_and_outcome_durations_queue_syncs_and_users_are_counted_and_nothing_private_shows()
    {
        // 20 s: the one run meant to fail does so by timing out; every other run is a stand-in that ends at once.
        await using var bed = await ChatTestBed.StartAsync(new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "20" });
        const string user = "anabel", other = "bertil", project = "orchard-proj", synced = "quince-proj";
        bed.CreateCheckout(user, project);
        bed.CreateCheckout(other, project);
        var scraper = bed.Token("promscraper");
        bed.Token("cyril");
        bed.Agent.Registry.SetDisabled("cyril", true);
        using var metrics = bed.Agent.Client(scraper);
        using var client = bed.Client(user);
        const string secret = "private-prompt-words-5f1c";

        var start = await PrometheusText.ScrapeAsync(metrics);
        foreach (var route in AllowedLabels["route"])
            foreach (var counter in new[] { "started", "finished", "failed" })
                Assert.Equal(0, start.Value($"patchwire_runs_{counter}_total", "route=" + route));
        Assert.Equal(0, start.Value("patchwire_queue_depth"));
        Assert.Equal(0, start.Value("patchwire_runs_in_flight"));
        Assert.Equal(3, start.Value("patchwire_registry_users", "state=enabled"));
        Assert.Equal(1, start.Value("patchwire_registry_users", "state=disabled"));

        // One run holds anabel's only slot; her next request waits: one in flight, one queued. Then the held run's
        // client goes away, and the queued one runs.
        var release = Path.Combine(bed.Scratch, "release");
        var held = await AskStream.OpenAsync(client, new { prompt = $"say: {secret}\nwait-for: {release}", project });
        Assert.Equal("accepted", ChatStream.Type((await held.NextAsync())!.Value));
        await using var queued = await AskStream.OpenAsync(client, new { prompt = $"write: q.txt {secret}", project });
        Assert.Equal("queued", ChatStream.Type((await queued.NextAsync())!.Value));
        var busy = await PrometheusText.ScrapeAsync(metrics);
        Assert.Equal(1, busy.Value("patchwire_runs_in_flight"));
        Assert.Equal(1, busy.Value("patchwire_queue_depth"));
        Assert.Equal(1, busy.Value("patchwire_runs_started_total", "route=ask"));
        await held.DisposeAsync();
        await queued.ReadAllAsync();
        Assert.Equal("result", ChatStream.Type(queued.Final));

        // bertil's run times out (run_failed) while anabel's go on.
        using var otherClient = bed.Client(other);
        await using var hang = await AskStream.OpenAsync(otherClient, new { prompt = $"say: {secret}\nhang", project });
        Assert.Equal("accepted", ChatStream.Type((await hang.NextAsync())!.Value));

        for (var i = 0; i < 2; i++)
        {
            await using var ask = await AskStream.RunAsync(client, new { prompt = $"write: a{i}.txt {secret}", project });
            Assert.Equal("result", ChatStream.Type(ask.Final));
        }
        await using (var crash = await AskStream.RunAsync(client, new { prompt = $"say: {secret}\ncrash", project }))
        {
            Assert.Equal("result", ChatStream.Type(crash.Final)); // a non-zero exit is still a result
            Assert.Equal(3, crash.Final.GetProperty("exitCode").GetInt32());
        }

        await using (var turn = await ChatStream.TurnAsync(client, Guid.NewGuid().ToString(), $"say: {secret}", project))
            Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        await using (var failedTurn = await ChatStream.TurnAsync(client, Guid.NewGuid().ToString(), $"say: {secret}\ncrash", project))
        {
            Assert.Equal("error", ChatStream.Type(failedTurn.Last));
            Assert.Equal("turn_failed", failedTurn.Last.GetProperty("code").GetString());
        }

        var id = await DetachedRunClient.StartAsync(client, new { prompt = $"write: d.txt {secret}", project });
        Assert.Equal("succeeded", DetachedRunClient.State(await DetachedRunClient.WaitAsync(client, id)));
        var cancelledId = await DetachedRunClient.StartAsync(client, new { prompt = $"say: {secret}\nhang", project });
        await DetachedRunClient.WaitAsync(client, cancelledId, r => DetachedRunClient.State(r) == "running");
        using (var cancel = await client.DeleteAsync("/runs/" + cancelledId))
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", DetachedRunClient.State(await DetachedRunClient.WaitAsync(client, cancelledId)));

        var laptop = GitRepo.Init(Path.Combine(bed.Scratch, "laptop-" + synced));
        laptop.Write("src/main.txt", "first version\n");
        laptop.CommitAll("laptop project");
        var settings = new ClientSettings
        {
            AgentUrl = bed.Agent.BaseUrl, Token = bed.Token(user), Project = synced, ProjectRoot = laptop.Path,
            Excludes = Array.Empty<string>(), Home = Path.Combine(bed.Scratch, "laptop-home"),
        };
        var full = await SyncAsync(settings);
        laptop.Write("src/main.txt", "second version\n");
        var incremental = await SyncAsync(settings);
        Assert.True(full.Full && full.Transferred && !incremental.Full && incremental.Transferred);

        await hang.ReadAllAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("run_failed", hang.Final.GetProperty("code").GetString());

        var end = await PrometheusText.ScrapeAsync(metrics);
        // ask: held (client gone), queued, two writes, crash (exit 3: a result), hang (timed out).
        Assert.Equal(6, end.Value("patchwire_runs_started_total", "route=ask"));
        Assert.Equal(4, end.Value("patchwire_runs_finished_total", "route=ask"));
        Assert.Equal(1, end.Value("patchwire_runs_failed_total", "route=ask"));
        Assert.Equal(1, end.Value("patchwire_runs_cancelled_total", "route=ask", "reason=client_gone"));
        Assert.Equal(0, end.Value("patchwire_runs_cancelled_total", "route=ask", "reason=agent_stopping"));
        Assert.Equal(2, end.Value("patchwire_runs_started_total", "route=chat"));
        Assert.Equal(1, end.Value("patchwire_runs_finished_total", "route=chat"));
        Assert.Equal(1, end.Value("patchwire_runs_failed_total", "route=chat"));
        // runs: one succeeded, one cancelled by DELETE while running (counted as client_gone).
        Assert.Equal(2, end.Value("patchwire_runs_started_total", "route=runs"));
        Assert.Equal(1, end.Value("patchwire_runs_finished_total", "route=runs"));
        Assert.Equal(0, end.Value("patchwire_runs_failed_total", "route=runs"));
        Assert.Equal(1, end.Value("patchwire_runs_cancelled_total", "route=runs", "reason=client_gone"));

        Assert.Equal("histogram", end.Types["patchwire_run_duration_seconds"]);
        Assert.Equal(4, end.HistogramCount("patchwire_run_duration_seconds", "route=ask", "outcome=finished"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=ask", "outcome=failed"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=ask", "outcome=cancelled"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=chat", "outcome=finished"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=chat", "outcome=failed"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=runs", "outcome=finished"));
        Assert.Equal(1, end.HistogramCount("patchwire_run_duration_seconds", "route=runs", "outcome=cancelled"));
        // The timed-out run lasted at least PW_TIMEOUT_SEC: its observation is above the 10 s bucket's bound.
        Assert.Equal(0, end.Value("patchwire_run_duration_seconds_bucket", "route=ask", "outcome=failed", "le=10"));
        Assert.Equal("histogram", end.Types["patchwire_queue_wait_seconds"]);
        Assert.Equal(6, end.HistogramCount("patchwire_queue_wait_seconds", "route=ask"));
        Assert.Equal(2, end.HistogramCount("patchwire_queue_wait_seconds", "route=chat"));
        Assert.Equal(2, end.HistogramCount("patchwire_queue_wait_seconds", "route=runs"));
        Assert.Equal(0, end.Value("patchwire_queue_depth"));
        Assert.Equal(0, end.Value("patchwire_runs_in_flight"));

        Assert.Equal(full.BytesSent, end.Value("patchwire_sync_received_bytes_total", "kind=full"));
        Assert.Equal(incremental.BytesSent, end.Value("patchwire_sync_received_bytes_total", "kind=incremental"));
        Assert.Equal(1, end.HistogramCount("patchwire_sync_duration_seconds", "kind=full"));
        Assert.Equal(1, end.HistogramCount("patchwire_sync_duration_seconds", "kind=incremental"));
        Assert.Equal(3, end.Value("patchwire_registry_users", "state=enabled"));
        Assert.Equal(1, end.Value("patchwire_registry_users", "state=disabled"));

        // Nothing private, and labels only from the fixed sets.
        foreach (var word in new[] { secret, user, other, "promscraper", "cyril", project, synced, bed.Temp })
            Assert.DoesNotContain(word, end.Text, StringComparison.Ordinal);
        foreach (var token in new[] { bed.Token(user), bed.Token(other), scraper })
            Assert.DoesNotContain(token[3..], end.Text, StringComparison.Ordinal);
        AssertBoundedLabels(end);
    }

    [Fact]
    public async Task No_token_a_bad_token_and_a_disabled_user_are_refused_and_health_stays_open()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var token = agent.AddUser("reader");
        var disabled = agent.AddUser("gone");
        agent.Registry.SetDisabled("gone", true);

        foreach (var bad in new[] { null, "pw_" + new string('0', 64), "not-a-token" })
        {
            using var client = agent.Client(bad);
            using var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(Unauthorized, await response.Content.ReadAsStringAsync());
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().ToString());
        }
        using (var client = agent.Client(disabled))
        using (var response = await client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("{\"error\":\"user disabled\"}", await response.Content.ReadAsStringAsync());
        }
        using (var client = agent.Client(token))
        {
            using (var post = await client.PostAsync("/metrics", new StringContent("")))
                Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            var scrape = await PrometheusText.ScrapeAsync(client);
            Assert.Equal(1, scrape.Value("patchwire_registry_users", "state=enabled"));
            Assert.Equal(1, scrape.Value("patchwire_registry_users", "state=disabled"));
            AssertBoundedLabels(scrape);
        }
        using (var anonymous = agent.Client())
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
    }

    /// <summary>
    /// The loopback rule over real connections: the agent listens on every address (dual-stack "::" where the machine
    /// has IPv6, so loopback IPv4 arrives as ::ffff:127.0.0.1), and the same token is read over loopback and refused
    /// over the machine's own non-loopback address, where the token itself still works (GET /me).
    /// </summary>
    [NonLoopbackAddressFact]
    public async Task A_valid_token_over_a_non_loopback_address_is_refused_with_403_and_works_over_loopback()
    {
        using var home = new TempDirectory();
        var host = Socket.OSSupportsIPv6 ? "::" : "0.0.0.0";
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_HOST"] = host });
        var port = new Uri(agent.BaseUrl.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")).Port;
        var token = agent.AddUser("reader");
        var address = NonLoopbackAddressFactAttribute.Find()!;
        var remoteUrl = $"http://{address}:{port}";

        using (var remote = PrometheusText.Client(remoteUrl, token))
        {
            using var response = await remote.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal(LoopbackOnly, await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/me")).StatusCode);
        }
        using (var anonymousRemote = PrometheusText.Client(remoteUrl, null))
        {
            using var response = await anonymousRemote.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var loopbacks = new List<string> { $"http://127.0.0.1:{port}" };
        if (host == "::") loopbacks.Add($"http://[::1]:{port}");
        foreach (var url in loopbacks)
        {
            using var local = PrometheusText.Client(url, token);
            var scrape = await PrometheusText.ScrapeAsync(local);
            Assert.Equal(1, scrape.Value("patchwire_registry_users", "state=enabled"));
        }
    }

    private static async Task<SyncResult> SyncAsync(ClientSettings settings)
    {
        using var agentClient = new AgentClient(settings);
        return await ProjectSync.SyncAsync(settings, agentClient, null, CancellationToken.None);
    }

    private static void AssertBoundedLabels(PrometheusText scrape)
    {
        foreach (var sample in scrape.Samples)
        {
            if (sample.Name == "target_info") continue; // the service's own description: name, version, instance id, SDK
            Assert.StartsWith("patchwire_", sample.Name);
            foreach (var (key, value) in sample.Labels)
            {
                if (key == "le")
                {
                    Assert.True(value == "+Inf" || double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _), $"le={value}");
                    continue;
                }
                Assert.True(AllowedLabels.TryGetValue(key, out var allowed), $"unexpected label {key} on {sample.Name}");
                Assert.Contains(value, allowed);
            }
        }
    }
}

/// <summary>A test that needs an address of this machine other than loopback: skipped, with the reason, on a machine without one.</summary>
public sealed class NonLoopbackAddressFactAttribute : FactAttribute
{
    public NonLoopbackAddressFactAttribute()
    {
        if (Find() is null) Skip = "This machine has no IPv4 address other than loopback to reach the agent through.";
    }

    /// <summary>An IPv4 address of an interface that is up, not loopback and not link-local.</summary>
    public static IPAddress? Find() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)
                && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal));
}
