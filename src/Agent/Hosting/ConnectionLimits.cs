using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Patchwire.Agent.Configuration;

namespace Patchwire.Agent.Hosting;

/// <summary>
/// What keeps the box up under a flood of half-sent requests: at most PW_MAX_CONNECTIONS open connections in all and
/// PW_MAX_CONNECTIONS_PER_CLIENT from one address (further ones are closed at once, before any byte is read), request
/// headers within 10 s, request bodies at 240 bytes/s or faster after a 10 s grace, idle keep-alive connections closed
/// after 30 s.
/// </summary>
public static class ConnectionLimits
{
    public static void Apply(KestrelServerOptions kestrel, AgentOptions options)
    {
        kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
        kestrel.Limits.MaxConcurrentUpgradedConnections = options.MaxConnections;
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(10));
    }

    /// <summary>The per-address cap, as connection middleware on each endpoint (before TLS, so a flood costs no handshakes).</summary>
    public static void PerClient(ListenOptions listen, int perClient)
    {
        var open = new ConcurrentDictionary<IPAddress, int>();
        listen.Use(next => async connection =>
        {
            var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
            if (address is null)
            {
                await next(connection);
                return;
            }
            if (open.AddOrUpdate(address, 1, (_, n) => n + 1) > perClient)
            {
                Release(open, address);
                connection.Abort(new ConnectionAbortedException("too many connections from one address (PW_MAX_CONNECTIONS_PER_CLIENT)"));
                return;
            }
            try { await next(connection); }
            finally { Release(open, address); }
        });
    }

    private static void Release(ConcurrentDictionary<IPAddress, int> open, IPAddress address)
    {
        while (true)
        {
            var n = open.GetValueOrDefault(address);
            if (n <= 1)
            {
                if (open.TryRemove(new KeyValuePair<IPAddress, int>(address, n))) return;
            }
            else if (open.TryUpdate(address, n - 1, n)) return;
        }
    }
}
