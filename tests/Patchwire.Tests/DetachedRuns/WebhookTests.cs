using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Patchwire.Tests.Runs;
using static Patchwire.Tests.DetachedRuns.DetachedRunClient;

namespace Patchwire.Tests.DetachedRuns;

public sealed class WebhookTests
{
    private const string EditingAi = """
        cat > /dev/null
        echo "edited" >> src/app.txt
        echo new > added.txt
        """;

    [Theory]
    [InlineData("json")]
    [InlineData("slack")]
    [InlineData("teams")]
    public async Task A_finished_detached_run_is_posted_to_the_webhook_without_prompt_or_diff(string format)
    {
        await using var hook = WebhookListener.Start(answer: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        await using var bed = await RunsTestBed.StartAsync(EditingAi, new Dictionary<string, string?>
        {
            ["PW_NOTIFY_WEBHOOK"] = hook.Url, ["PW_NOTIFY_FORMAT"] = format,
        });
        bed.CreateCheckout("ana", "app");
        using var ana = bed.Client("ana");
        var id = await StartAsync(ana, new { prompt = "the-secret-prompt", project = "app" });
        Assert.Equal("succeeded", State(await WaitAsync(ana, id)));

        var body = await hook.NextBodyAsync();
        Assert.DoesNotContain("the-secret-prompt", body);
        Assert.DoesNotContain("diff --git", body);
        var json = JsonDocument.Parse(body).RootElement;
        var text = json.GetProperty("text").GetString()!;
        Assert.Contains($"{id} of ana on app: succeeded, 2 file(s) changed", text);
        if (format == "json")
        {
            Assert.Equal("ana", json.GetProperty("user").GetString());
            Assert.Equal("app", json.GetProperty("project").GetString());
            Assert.Equal("succeeded", json.GetProperty("state").GetString());
            Assert.Equal(2, json.GetProperty("filesChanged").GetInt32());
            Assert.True(json.GetProperty("durationMs").GetInt64() >= 0);
        }
        if (format == "teams") Assert.Equal("MessageCard", json.GetProperty("@type").GetString());
    }

    [Theory]
    [InlineData("500")]
    [InlineData("hang")]
    [InlineData("refuse")]
    public async Task A_webhook_that_fails_is_retried_and_never_changes_the_run(string fault)
    {
        await using var hook = WebhookListener.Start(answer: fault switch
        {
            "500" => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            _ => null, // hang: read the request, never answer
        });
        var url = fault == "refuse" ? WebhookListener.ClosedPortUrl() : hook.Url;
        await using var bed = await RunsTestBed.StartAsync(EditingAi, new Dictionary<string, string?> { ["PW_NOTIFY_WEBHOOK"] = url });
        bed.CreateCheckout("ana", "app");
        using var ana = bed.Client("ana");
        var first = await StartAsync(ana, new { prompt = "one", project = "app" });
        var run = await WaitAsync(ana, first);
        Assert.Equal("succeeded", State(run));
        Assert.Equal(2, run.GetProperty("result").GetProperty("files").GetArrayLength());

        if (fault == "500")
        {
            for (var attempt = 1; attempt <= 3; attempt++) await hook.NextBodyAsync();
            await bed.Agent.WaitForOutputAsync(l => l.Contains("PW_NOTIFY_WEBHOOK answered 500 (attempt 3 of 3)"));
        }
        else
        {
            await bed.Agent.WaitForOutputAsync(l => l.Contains("PW_NOTIFY_WEBHOOK failed") && l.Contains("attempt 1 of 3"));
        }
        // The agent still serves runs while a notification is stuck or failing.
        var second = await StartAsync(ana, new { prompt = "two", project = "app" });
        Assert.Equal("succeeded", State(await WaitAsync(ana, second)));
    }

    [Theory]
    [InlineData("PW_NOTIFY_WEBHOOK", "ftp://example.invalid/x")]
    [InlineData("PW_NOTIFY_WEBHOOK", "not a url")]
    [InlineData("PW_NOTIFY_FORMAT", "discord-xml")]
    public async Task Bad_notify_settings_stop_the_start_naming_the_variable(string name, string value)
    {
        using var temp = new TempDirectory("pw-notify");
        var (exit, output) = await AgentProcess.RunToExitAsync(temp.Path, new Dictionary<string, string?> { [name] = value });
        Assert.NotEqual(0, exit);
        Assert.Contains(name, output);
    }

    /// <summary>A raw TCP listener that reads each request and answers it with fixed bytes (or never).</summary>
    private sealed class WebhookListener : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly System.Threading.Channels.Channel<string> _bodies = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _held = new();
        private readonly string? _answer;
        private Task _loop = Task.CompletedTask;

        private WebhookListener(string? answer) => _answer = answer;

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";

        public static WebhookListener Start(string? answer)
        {
            var listener = new WebhookListener(answer);
            listener._listener.Start();
            listener._loop = listener.AcceptAsync();
            return listener;
        }

        public static string ClosedPortUrl()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return $"http://127.0.0.1:{port}/hook";
        }

        public async Task<string> NextBodyAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await _bodies.Reader.ReadAsync(timeout.Token);
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _held.Add(client);
                    _ = ServeAsync(client);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[65536];
                var received = new MemoryStream();
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    received.Write(buffer, 0, n);
                    var text = Encoding.UTF8.GetString(received.ToArray());
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0) continue;
                    var length = text[..end].Split("\r\n").Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        .Select(h => int.Parse(h["Content-Length:".Length..].Trim())).FirstOrDefault();
                    if (Encoding.UTF8.GetByteCount(text) < end + 4 + length) continue;
                    await _bodies.Writer.WriteAsync(text.Substring(end + 4));
                    if (_answer is null) { await Task.Delay(Timeout.Infinite, _stop.Token); return; }
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(_answer), _stop.Token);
                    client.Close();
                    return;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var client in _held) client.Dispose();
            await _loop;
        }
    }
}
