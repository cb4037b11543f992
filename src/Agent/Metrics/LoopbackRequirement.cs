using Microsoft.AspNetCore.Authorization;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Metrics;

/// <summary>
/// The request came over a loopback connection (127.0.0.0/8, ::1, or IPv4-mapped 127.x): the peer of the TCP
/// connection itself, since the agent trusts no X-Forwarded-For. Failing it answers 403
/// {"error":"metrics are served to loopback clients only"}.
/// </summary>
public sealed class LoopbackRequirement : IAuthorizationRequirement
{
}

/// <summary>Checks <see cref="LoopbackRequirement"/> against the connection of the request being authorized.</summary>
public sealed class LoopbackHandler : AuthorizationHandler<LoopbackRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, LoopbackRequirement requirement)
    {
        if (context.Resource is HttpContext http && LoopbackAddress.Is(http.Connection.RemoteIpAddress))
            context.Succeed(requirement);
        else
            context.Fail(new AuthorizationFailureReason(this, HttpErrors.MetricsLoopbackOnly));
        return Task.CompletedTask;
    }
}
