using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Http;
using Patchwire.Agent.Runs;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Chat;

/// <summary>The body of POST /chat: {uuid, prompt, project (or upstream's projectName), baseline?}.</summary>
public sealed record ChatRequest(string Uuid, string Prompt, string Project, string? Baseline)
{
    private static readonly Regex UuidShape = new("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant);

    /// <summary>The canonical 8-4-4-4-12 form; compared lowercased.</summary>
    public static bool IsUuid(string? value) => value is not null && UuidShape.IsMatch(value);

    public static JsonHttpResult<ApiError> InvalidUuid() =>
        ApiErrors.BadRequest(new ApiError(HttpErrors.InvalidSessionUuid) { Hint = "A session id is a UUID such as 3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f." });

    /// <summary>Reads the body and checks the fields' presence, types and shapes and the prompt's size; the caller checks the project itself.</summary>
    public static async Task<Checked<ChatRequest>> ReadAsync(HttpContext context, long maxPromptBytes)
    {
        if (!(await JsonBody.ReadAsync(context)).TryGet(out var body, out var problem)) return problem;
        var uuid = body.RequiredString("uuid");
        body.Require(IsUuid(uuid), InvalidUuid);
        var prompt = body.RequiredString("prompt");
        // Upstream's client sends projectName; ours sends project. A missing field is reported as 'project'.
        var project = body.RequiredString(body.Has("project") || !body.Has("projectName") ? "project" : "projectName");
        var baseline = body.OptionalString("baseline");
        body.Require(PromptLimit.Fits(prompt, maxPromptBytes), () => PromptLimit.TooLarge(maxPromptBytes));
        if (body.Problem is { } bad) return bad;
        return new ChatRequest(uuid.ToLowerInvariant(), prompt, project, baseline);
    }
}
