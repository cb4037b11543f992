using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Patchwire.Tests.Infrastructure;

/// <summary>How <see cref="StallingAgent"/> treats one request.</summary>
public enum Stall
{
    /// <summary>Reads the request head and never answers.</summary>
    Silent,
    /// <summary>Answers 200 with chunked headers, then sends nothing more: the client waits on the body.</summary>
    AfterHeaders,
    /// <summary>Answers GET /sync/{project} with "no baseline" (so a sync goes on to POST its bundle); stalls silently on every other request.</summary>
    AtUpload,
}

/// <summary>
/// A stand-in agent on 127.0.0.1 that hangs: the fault a Ctrl+C must get a person out of. It counts the requests it
/// left hanging and the connections the client then closed (the client let go of them: nothing left behind).
/// </summary>
public sealed class StallingAgent : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _clients = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stall _stall;
    private int _hanging;
    private int _closed;

    public StallingAgent(Stall stall)
    {
        _stall = stall;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Requests left without a (whole) answer.</summary>
    public int Hanging => Volatile.Read(ref _hanging);

    /// <summary>Connections of hanging requests that the client has since closed.</summary>
    public int Closed => Volatile.Read(ref _closed);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            lock (_clients) _clients.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            while (true)
            {
                var head = await ReadHeadAsync(stream);
                if (head is null) return;
                var requestLine = head.Split("\r\n")[0].Split(' ');
                var (method, path) = (requestLine[0], requestLine.Length > 1 ? requestLine[1] : "/");
                if (_stall == Stall.AtUpload && method == "GET" && path.StartsWith("/sync/", StringComparison.Ordinal))
                {
                    var project = Uri.UnescapeDataString(path["/sync/".Length..]);
                    var body = $"{{\"project\":\"{project}\",\"baseline\":null}}";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
                    continue;
                }
                if (_stall == Stall.AfterHeaders)
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"));
                Interlocked.Increment(ref _hanging);
                // Read (and drop) whatever else comes, so an upload is not held up by a full socket buffer, until the client lets go.
                var buffer = new byte[64 * 1024];
                while (await stream.ReadAsync(buffer, _stop.Token) > 0) { }
                Interlocked.Increment(ref _closed);
                return;
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
        catch (IOException) { Interlocked.Increment(ref _closed); }
    }

    private async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0) return null;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients) foreach (var c in _clients) c.Dispose();
    }
}
