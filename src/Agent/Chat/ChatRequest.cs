using System.Text.Json;
using System.Text.RegularExpressions;
using Patchwire.Agent.Http;

namespace Patchwire.Agent.Chat;

/// <summary>The body of POST /chat: {uuid, prompt, project (or upstream's projectName), baseline?}.</summary>
public sealed record ChatRequest(string Uuid, string Prompt, string Project, string? Baseline)
{
    private static readonly Regex UuidShape = new("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant);

    /// <summary>The canonical 8-4-4-4-12 form; compared lowercased.</summary>
    public static bool IsUuid(string? value) => value is not null && UuidShape.IsMatch(value);

    public static IResult? InvalidUuid(string? value) =>
        IsUuid(value) ? null : JsonErrors.Result(StatusCodes.Status400BadRequest, "invalid session uuid",
            new { hint = "A session id is a UUID such as 3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f." });

    /// <summary>Checks the fields' presence, types and shapes; the caller checks the project itself.</summary>
    public static (ChatRequest? Request, IResult? Problem) From(JsonElement body)
    {
        var problem = RequestBody.RequireString(body, "uuid", out var uuid);
        if (problem is not null) return (null, problem);
        if (InvalidUuid(uuid) is { } badUuid) return (null, badUuid);
        problem = RequestBody.RequireString(body, "prompt", out var prompt);
        if (problem is not null) return (null, problem);

        // Upstream's client sends projectName; ours sends project. A missing field is reported as 'project'.
        var projectField = Present(body, "project") || !Present(body, "projectName") ? "project" : "projectName";
        problem = RequestBody.RequireString(body, projectField, out var project);
        if (problem is not null) return (null, problem);

        problem = RequestBody.OptionalString(body, "baseline", out var baseline);
        if (problem is not null) return (null, problem);
        return (new ChatRequest(uuid.ToLowerInvariant(), prompt, project, baseline), null);
    }

    private static bool Present(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;
}
