using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;

namespace Patchwire.Agent.Chat;

/// <summary>
/// GET /session/{uuid}/status and DELETE /session/{uuid}, as upstream, and GET /sessions (the caller's sessions,
/// oldest first). Only the caller's own sessions exist for them.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sessions", (HttpContext context, ChatSessionStore store) =>
            Results.Json(new { sessions = store.ListOf(context.GetCaller().Name).Select(StatusOf).ToList() }));

        app.MapGet("/session/{uuid}/status", (string uuid, HttpContext context, ChatSessionStore store) =>
        {
            if (ChatRequest.InvalidUuid(uuid) is { } invalid) return invalid;
            var session = store.Get(context.GetCaller().Name, uuid.ToLowerInvariant());
            return session is null ? NotFound() : Results.Json(StatusOf(session));
        });

        app.MapDelete("/session/{uuid}", (string uuid, HttpContext context, ChatSessionStore store) =>
        {
            if (ChatRequest.InvalidUuid(uuid) is { } invalid) return invalid;
            if (store.Remove(context.GetCaller().Name, uuid.ToLowerInvariant(), out var inFlight)) return Results.NoContent();
            return inFlight
                ? JsonErrors.Result(StatusCodes.Status409Conflict, "turn in flight", new { hint = "Wait for the turn to end (or stop it by closing its /chat request), then delete the session." })
                : NotFound();
        });
        return app;
    }

    private static IResult NotFound() => JsonErrors.Result(StatusCodes.Status404NotFound, "session not found");

    public static object StatusOf(ChatSession s) => new
    {
        uuid = s.Uuid,
        status = s.Status,
        startedAt = s.StartedAt,
        tokensIn = s.TokensIn,
        tokensOut = s.TokensOut,
        durationMs = s.Status == ChatSessionStatus.InFlight ? (long)(DateTimeOffset.UtcNow - s.StartedAt).TotalMilliseconds : s.DurationMs,
        errorMessage = s.ErrorMessage,
        project = s.Project,
        turnCount = s.TurnCount,
    };
}
