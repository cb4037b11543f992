using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Http;

/// <summary>
/// The body of every plain-HTTP failure: <c>{"error": "..."}</c>, plus the few fields some failures add (left out
/// when null). The property order is the order the fields have always been written in.
/// </summary>
public sealed record ApiError(
    [property: JsonPropertyName("error")] string Error)
{
    /// <summary>Upstream's /chat and session bodies: <c>"ok": false</c> and a snake_case <c>code</c> beside our <c>error</c>.</summary>
    [JsonPropertyName("ok")] public bool? Ok { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }
    [JsonPropertyName("project")] public string? Project { get; init; }
    [JsonPropertyName("baseline")] public string? Baseline { get; init; }
    /// <summary>git status of a dirty checkout.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    /// <summary>The commit a sync bundle builds on that the agent lacks.</summary>
    [JsonPropertyName("missing")] public string? Missing { get; init; }
    [JsonPropertyName("limitBytes")] public long? LimitBytes { get; init; }
    [JsonPropertyName("maxBytes")] public long? MaxBytes { get; init; }
    [JsonPropertyName("hint")] public string? Hint { get; init; }
    /// <summary>A sync whose checkout would pass PW_MAX_CHECKOUT_BYTES or PW_MAX_CHECKOUT_FILES: what it would write, and the limits.</summary>
    [JsonPropertyName("bytes")] public long? Bytes { get; init; }
    [JsonPropertyName("files")] public long? Files { get; init; }
    [JsonPropertyName("setting")] public string? Setting { get; init; }
    [JsonPropertyName("maxCheckoutBytes")] public long? MaxCheckoutBytes { get; init; }
    [JsonPropertyName("maxCheckoutFiles")] public long? MaxCheckoutFiles { get; init; }
    /// <summary>A snapshot holding names the agent's file system cannot create: the paths, and why each.</summary>
    [JsonPropertyName("paths")] public IReadOnlyList<string>? Paths { get; init; }
    [JsonPropertyName("problems")] public IReadOnlyList<PathProblem>? Problems { get; init; }

    /// <summary>Default escaping (as every error body has always had: ' is \u0027), nulls left out.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>This error as the answer to a request, with <paramref name="status"/>.</summary>
    public JsonHttpResult<ApiError> As(int status) => TypedResults.Json(this, Json, "application/json; charset=utf-8", status);
}

/// <summary>One refused path of a snapshot and why it was refused.</summary>
public sealed record PathProblem(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("why")] string Why);

/// <summary>The error answers by status, so endpoints read <c>return ApiErrors.NotFound("session not found")</c>.</summary>
public static class ApiErrors
{
    public static JsonHttpResult<ApiError> BadRequest(string error) => new ApiError(error).As(StatusCodes.Status400BadRequest);
    public static JsonHttpResult<ApiError> BadRequest(ApiError error) => error.As(StatusCodes.Status400BadRequest);
    public static JsonHttpResult<ApiError> Unauthorized() => new ApiError(HttpErrors.Unauthorized).As(StatusCodes.Status401Unauthorized);
    public static JsonHttpResult<ApiError> Forbidden(string error) => new ApiError(error).As(StatusCodes.Status403Forbidden);
    public static JsonHttpResult<ApiError> NotFound(string error) => new ApiError(error).As(StatusCodes.Status404NotFound);
    public static JsonHttpResult<ApiError> NotFound(ApiError error) => error.As(StatusCodes.Status404NotFound);
    public static JsonHttpResult<ApiError> Conflict(ApiError error) => error.As(StatusCodes.Status409Conflict);
    public static JsonHttpResult<ApiError> PreconditionFailed(ApiError error) => error.As(StatusCodes.Status412PreconditionFailed);
    public static JsonHttpResult<ApiError> TooLarge(ApiError error) => error.As(StatusCodes.Status413PayloadTooLarge);
    public static JsonHttpResult<ApiError> TooManyRequests(ApiError error) => error.As(StatusCodes.Status429TooManyRequests);
    public static JsonHttpResult<ApiError> Internal(string error) => new ApiError(error).As(StatusCodes.Status500InternalServerError);
    public static JsonHttpResult<ApiError> InsufficientStorage(ApiError error) => error.As(StatusCodes.Status507InsufficientStorage);
}
