using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Chat;

/// <summary>
/// GET /session/{uuid}/status and DELETE /session/{uuid}, as upstream, and GET /sessions (the caller's sessions,
/// oldest first). Only the caller's own sessions exist for them.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sessions", List);
        app.MapGet("/session/{uuid}/status", Status);
        app.MapDelete("/session/{uuid}", Delete);
        return app;
    }

    private static Ok<SessionList> List(ClaimsPrincipal caller, ChatSessionStore store) =>
        TypedResults.Ok(new SessionList(store.ListOf(caller.CallerName()).Select(StatusOf).ToList()));

    private static Results<Ok<SessionStatus>, JsonHttpResult<ApiError>> Status(string uuid, ClaimsPrincipal caller, ChatSessionStore store)
    {
        if (!ChatRequest.IsUuid(uuid)) return ChatRequest.InvalidUuid();
        var session = store.Get(caller.CallerName(), uuid.ToLowerInvariant());
        return session is null ? NotFound() : TypedResults.Ok(StatusOf(session));
    }

    private static Results<NoContent, JsonHttpResult<ApiError>> Delete(string uuid, ClaimsPrincipal caller, ChatSessionStore store)
    {
        if (!ChatRequest.IsUuid(uuid)) return ChatRequest.InvalidUuid();
        if (store.Remove(caller.CallerName(), uuid.ToLowerInvariant(), out var inFlight)) return TypedResults.NoContent();
        return inFlight
            ? ApiErrors.Conflict(new ApiError(HttpErrors.TurnInFlight) { Hint = "Wait for the turn to end (or stop it by closing its /chat request), then delete the session." })
            : NotFound();
    }

    private static JsonHttpResult<ApiError> NotFound() => ApiErrors.NotFound(HttpErrors.SessionNotFound);

    /// <summary>GET /sessions's answer: the items are exactly what /status answers.</summary>
    public sealed record SessionList(IReadOnlyList<SessionStatus> Sessions);

    /// <summary>GET /session/{uuid}/status's answer.</summary>
    public sealed record SessionStatus(
        string Uuid, string Status, DateTimeOffset StartedAt, long TokensIn, long TokensOut, long DurationMs,
        string? ErrorMessage, string Project, int TurnCount);

    public static SessionStatus StatusOf(ChatSession s) => new(
        s.Uuid,
        s.Status,
        s.StartedAt,
        s.TokensIn,
        s.TokensOut,
        s.Status == ChatSessionStatus.InFlight ? (long)(DateTimeOffset.UtcNow - s.StartedAt).TotalMilliseconds : s.DurationMs,
        s.ErrorMessage,
        s.Project,
        s.TurnCount);
}
