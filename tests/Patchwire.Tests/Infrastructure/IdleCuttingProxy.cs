using System.Net;
using System.Net.Sockets;

namespace Patchwire.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on 127.0.0.1 that closes any connection on which no byte moved either way for <see cref="IdleLimit"/>,
/// as NAT gateways and corporate proxies do. Counts the connections it cut.
/// </summary>
public sealed class IdleCuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = new();
    private readonly Task _accepting;
    private int _cut;

    public IdleCuttingProxy(Uri target, TimeSpan idleLimit)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        IdleLimit = idleLimit;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public TimeSpan IdleLimit { get; }
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    public int ConnectionsCut => Volatile.Read(ref _cut);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(RelayAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        using (var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            try
            {
                await server.ConnectAsync(_target, connection.Token);
                long lastActivity = Environment.TickCount64;
                var up = PumpAsync(client.GetStream(), server.GetStream(), () => Volatile.Write(ref lastActivity, Environment.TickCount64), connection.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), () => Volatile.Write(ref lastActivity, Environment.TickCount64), connection.Token);
                var pumps = Task.WhenAny(up, down);
                while (!pumps.IsCompleted)
                {
                    await Task.WhenAny(pumps, Task.Delay(50));
                    if (Environment.TickCount64 - Volatile.Read(ref lastActivity) > IdleLimit.TotalMilliseconds)
                    {
                        Interlocked.Increment(ref _cut);
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException) { }
            finally
            {
                connection.Cancel();
                client.Client.Close(0);
                server.Client.Close(0);
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, Action moved, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                moved();
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections) open = _connections.ToArray();
        await Task.WhenAll(open);
        _stop.Dispose();
    }
}
