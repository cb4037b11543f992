using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Chat;

/// <summary>
/// GET /session/{uuid}/status and DELETE /session/{uuid} on upstream's wire (startedAt in epoch ms, a miss is 404
/// <c>{"ok":false,"code":"unknown_uuid"}</c>, DELETE answers 204 whether or not the session existed), and GET /sessions
/// (the caller's sessions, oldest first). Only the caller's own sessions exist for them.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + Routes.Sessions, List);
        app.MapGet(Routes.SessionStatusPattern, Status).AddEndpointFilter(ChatErrorBodies.Filter);
        app.MapDelete(Routes.SessionPattern, Delete).AddEndpointFilter(ChatErrorBodies.Filter);
        return app;
    }

    private static Ok<SessionList> List(ClaimsPrincipal caller, ChatSessionStore store) =>
        TypedResults.Ok(new SessionList(store.ListOf(caller.CallerName()).Select(StatusOf).ToList()));

    private static Results<Ok<SessionStatus>, JsonHttpResult<ApiError>> Status(string uuid, ClaimsPrincipal caller, ChatSessionStore store)
    {
        if (!ChatRequest.IsUuid(uuid)) return ChatRequest.InvalidUuid();
        var session = store.Get(caller.CallerName(), uuid.ToLowerInvariant());
        return session is null ? ApiErrors.NotFound(HttpErrors.SessionNotFound) : TypedResults.Ok(StatusOf(session));
    }

    /// <summary>Idempotent, as upstream: an unknown session (or another user's, left alone) is 204 too.</summary>
    private static Results<NoContent, JsonHttpResult<ApiError>> Delete(string uuid, ClaimsPrincipal caller, ChatSessionStore store)
    {
        if (!ChatRequest.IsUuid(uuid)) return ChatRequest.InvalidUuid();
        if (store.Remove(caller.CallerName(), uuid.ToLowerInvariant(), out var inFlight) || !inFlight) return TypedResults.NoContent();
        return ApiErrors.Conflict(new ApiError(HttpErrors.TurnInFlight) { Hint = "Wait for the turn to end (or stop it by closing its /chat request), then delete the session." });
    }

    /// <summary>GET /sessions's answer: the items are exactly what /status answers.</summary>
    public sealed record SessionList(IReadOnlyList<SessionStatus> Sessions);

    /// <summary>GET /session/{uuid}/status's answer: upstream's fields (startedAt in epoch milliseconds), then ours.</summary>
    public sealed record SessionStatus(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("startedAt")] long StartedAt,
        [property: JsonPropertyName("tokensIn")] long TokensIn,
        [property: JsonPropertyName("tokensOut")] long TokensOut,
        [property: JsonPropertyName("durationMs")] long DurationMs,
        [property: JsonPropertyName("errorMessage")] string? ErrorMessage,
        [property: JsonPropertyName("uuid")] string Uuid,
        [property: JsonPropertyName("project")] string Project,
        [property: JsonPropertyName("turnCount")] int TurnCount);

    public static SessionStatus StatusOf(ChatSession s) => new(
        s.Status,
        s.StartedAt.ToUnixTimeMilliseconds(),
        s.TokensIn,
        s.TokensOut,
        s.Status == ChatSessionStatus.InFlight ? (long)(DateTimeOffset.UtcNow - s.StartedAt).TotalMilliseconds : s.DurationMs,
        s.ErrorMessage,
        s.Uuid,
        s.Project,
        s.TurnCount);
}

/// <summary>
/// /chat's and the session routes' error bodies as upstream writes them: every <see cref="ApiError"/> an endpoint
/// answers gains <c>"ok": false</c> and a snake_case <c>code</c> (<see cref="ChatErrorCodes"/>); its <c>error</c> text
/// and details stay for our own clients.
/// </summary>
public static class ChatErrorBodies
{
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var inner = result is INestedHttpResult nested ? nested.Result : result;
        if (inner is JsonHttpResult<ApiError> { Value: { } error } json)
            return (error with { Ok = false, Code = ChatErrorCodes.For(error.Error) }).As(json.StatusCode ?? StatusCodes.Status400BadRequest);
        return result;
    }
}
