using System.Text.Json;

namespace Patchwire.Agent.Http;

/// <summary>Reads a JSON object body with the size limit enforced; failures become ready-made 400/413 results.</summary>
public static class RequestBody
{
    public static async Task<(JsonElement Body, IResult? Error)> ReadObjectAsync(HttpContext context)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (default, JsonErrors.Result(400, "invalid body: expected a JSON object"));
            return (doc.RootElement.Clone(), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, JsonErrors.Result(413, "request body too large"));
        }
        catch (JsonException)
        {
            return (default, JsonErrors.Result(400, "invalid body: malformed JSON"));
        }
    }

    /// <summary>A required non-empty string field; null result means present and valid.</summary>
    public static IResult? RequireString(JsonElement body, string name, out string value, bool allowEmpty = false)
    {
        value = "";
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return JsonErrors.Result(400, $"invalid body: missing field '{name}'");
        if (element.ValueKind != JsonValueKind.String)
            return JsonErrors.Result(400, $"invalid body: field '{name}' must be a string");
        value = element.GetString()!;
        if (!allowEmpty && value.Trim().Length == 0)
            return JsonErrors.Result(400, $"invalid body: field '{name}' is empty");
        return null;
    }

    /// <summary>An optional string field: absent or null gives null.</summary>
    public static IResult? OptionalString(JsonElement body, string name, out string? value)
    {
        value = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.String)
            return JsonErrors.Result(400, $"invalid body: field '{name}' must be a string");
        value = element.GetString();
        return null;
    }
}
