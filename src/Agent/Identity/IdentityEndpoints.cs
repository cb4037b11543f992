namespace Patchwire.Agent.Identity;

public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/me", (HttpContext context, LastSeenTracker lastSeen) =>
        {
            var user = context.GetCaller().User;
            return Results.Json(new MeResponse(user.Name, user.Disabled, user.CreatedAt, lastSeen.LastSeen(user)));
        });
        return app;
    }

    public sealed record MeResponse(string User, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset? LastSeen);
}
