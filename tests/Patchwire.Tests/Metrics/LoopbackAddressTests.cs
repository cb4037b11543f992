using System.Net;
using Patchwire.Agent.Metrics;

namespace Patchwire.Tests.Metrics;

/// <summary>The address test of the /metrics loopback rule, on the forms a connection's peer address takes.</summary>
public sealed class LoopbackAddressTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.45.6.7")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")] // a loopback IPv4 client on a dual-stack socket (PW_AGENT_HOST=::)
    [InlineData("::ffff:127.9.9.9")]
    public void Loopback_peers_are_loopback(string address) => Assert.True(LoopbackAddress.Is(IPAddress.Parse(address)));

    [Theory]
    [InlineData("192.0.2.7")]
    [InlineData("10.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("::ffff:192.0.2.7")]
    [InlineData("::ffff:0.0.0.0")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::127.0.0.1")] // IPv4-compatible (deprecated), not mapped: not this machine's loopback
    [InlineData("128.0.0.1")]
    [InlineData("126.255.255.255")]
    public void Other_peers_are_not(string address) => Assert.False(LoopbackAddress.Is(IPAddress.Parse(address)));

    [Fact]
    public void An_unknown_peer_is_not_loopback() => Assert.False(LoopbackAddress.Is(null));
}
