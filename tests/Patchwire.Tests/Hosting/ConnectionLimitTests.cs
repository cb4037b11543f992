using System.Net;
using System.Net.Sockets;
using System.Text;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Hosting;

/// <summary>
/// A slow-header flood without a token from one address: the agent stays up, its descriptors stay bounded by the
/// per-address cap, and an authenticated /ask from another address during the flood still gets its result.
/// </summary>
public sealed class ConnectionLimitTests
{
    private const int FloodConnections = 2000;
    private const int PerClient = 150;

    [Fact]
    public async Task A_slow_header_flood_from_one_address_keeps_descriptors_bounded_and_an_ask_from_another_still_works()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc and 127.0.0.2 as a source address
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null\nsleep 1\necho flood-proof >> src/app.txt", new Dictionary<string, string?>
        {
            ["PW_MAX_CONNECTIONS_PER_CLIENT"] = PerClient.ToString(),
        });
        bed.CreateCheckout("ana", "app");
        var agentPort = new Uri(bed.Agent.BaseUrl).Port;
        int Descriptors() => Directory.GetFiles($"/proc/{bed.Agent.Pid}/fd").Length;
        var before = Descriptors();

        var flood = new List<Socket>();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var halfRequest = Encoding.ASCII.GetBytes("POST /ask HTTP/1.1\r\nHost: box\r\nContent-Type: application/json\r\n");
            for (var i = 0; i < FloodConnections && !deadline.IsCancellationRequested; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, agentPort), deadline.Token);
                    await socket.SendAsync(halfRequest, SocketFlags.None, deadline.Token);
                }
                catch (SocketException) { } // refused or reset by the agent: what the cap is for
            }
            // Connections over the cap are accepted and then closed by the agent; count what it holds once those
            // closes have gone through (the count stops falling), not the sockets still in the middle of closing.
            var during = Descriptors();
            for (var i = 0; i < 25; i++)
            {
                await Task.Delay(200);
                var now = Descriptors();
                if (now >= during) break;
                during = now;
            }

            // Another address (127.0.0.2 is loopback too) with a token is served during the flood.
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = new Uri(bed.Agent.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new("Bearer", bed.Token("ana"));
            await using var ask = await AskStream.RunAsync(client, new { prompt = "during the flood", project = "app" });
            Assert.Equal("result", ask.Final.GetProperty("type").GetString());
            Assert.Contains("+flood-proof", ask.Final.GetProperty("diff").GetString());

            Assert.False(bed.Agent.HasExited);
            Assert.True(during - before <= PerClient + 50,
                $"the agent held {during - before} more descriptors during a flood of {FloodConnections} connections (cap {PerClient} per address)");
        }
        finally
        {
            foreach (var socket in flood) socket.Dispose();
        }
    }
}
