using System.Net;

namespace Patchwire.Agent.Metrics;

/// <summary>Whether a connection's peer address is this machine's loopback (plain, so the tests compile it directly).</summary>
public static class LoopbackAddress
{
    /// <summary>
    /// 127.0.0.0/8 and ::1, also as an IPv4-mapped IPv6 address (::ffff:127.0.0.1: how a loopback IPv4 client appears
    /// on a dual-stack socket, as when PW_AGENT_HOST is ::). An unknown peer (null) is not loopback.
    /// </summary>
    public static bool Is(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
