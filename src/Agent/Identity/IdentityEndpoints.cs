using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Patchwire.Agent.Identity;

public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/me", Me);
        return app;
    }

    private static Ok<MeResponse> Me(ClaimsPrincipal principal, LastSeenTracker lastSeen)
    {
        var user = principal.Caller();
        return TypedResults.Ok(new MeResponse(user.Name, user.Disabled, user.CreatedAt, lastSeen.LastSeen(user)));
    }

    public sealed record MeResponse(string User, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset? LastSeen);
}
