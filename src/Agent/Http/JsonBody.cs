using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Http;

/// <summary>
/// A JSON object request body, read with the size limit enforced and checked to be valid Unicode throughout (no
/// invalid UTF-8, no lone surrogate escape such as "\ud800"), and its fields. Field reads record the first
/// problem in <see cref="Problem"/> and later reads change nothing, so a request type reads all its fields and
/// then checks once: the answer names the first bad field in reading order.
/// </summary>
public sealed class JsonBody
{
    private readonly JsonElement _root;

    private JsonBody(JsonElement root) => _root = root;

    /// <summary>The first problem found, as the 400 to answer with; null while every read field was fine.</summary>
    public JsonHttpResult<ApiError>? Problem { get; private set; }

    public static async Task<Checked<JsonBody>> ReadAsync(HttpContext context)
    {
        JsonElement root;
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            root = doc.RootElement.Clone();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiErrors.TooLarge(new ApiError(HttpErrors.RequestBodyTooLarge));
        }
        catch (JsonException)
        {
            return ApiErrors.BadRequest(HttpErrors.InvalidBodyPrefix + "malformed JSON");
        }
        if (root.ValueKind != JsonValueKind.Object) return ApiErrors.BadRequest(HttpErrors.InvalidBodyPrefix + "expected a JSON object");
        if (FindInvalidText(root, "") is { } bad) return ApiErrors.BadRequest(bad);
        return new JsonBody(root);
    }

    /// <summary>True when the field is there and not null.</summary>
    public bool Has(string name) => _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A required string field, non-empty unless <paramref name="allowEmpty"/>; "" once a problem is recorded.</summary>
    public string RequiredString(string name, bool allowEmpty = false)
    {
        if (Problem is not null) return "";
        if (!Has(name)) return Reject(HttpErrors.InvalidBodyPrefix + $"missing field '{name}'");
        var element = _root.GetProperty(name);
        if (element.ValueKind != JsonValueKind.String) return Reject(HttpErrors.InvalidBodyPrefix + $"field '{name}' must be a string");
        var value = element.GetString()!;
        if (!allowEmpty && value.Trim().Length == 0) return Reject(HttpErrors.InvalidBodyPrefix + $"field '{name}' is empty");
        return value;
    }

    /// <summary>An optional string field: absent or null gives null.</summary>
    public string? OptionalString(string name)
    {
        if (Problem is not null || !Has(name)) return null;
        var element = _root.GetProperty(name);
        if (element.ValueKind != JsonValueKind.String)
        {
            Reject(HttpErrors.InvalidBodyPrefix + $"field '{name}' must be a string");
            return null;
        }
        return element.GetString();
    }

    /// <summary>Records <paramref name="problem"/> unless <paramref name="condition"/> holds or a problem is already recorded.</summary>
    public void Require(bool condition, Func<JsonHttpResult<ApiError>> problem)
    {
        if (Problem is null && !condition) Problem = problem();
    }

    private string Reject(string error)
    {
        Problem ??= ApiErrors.BadRequest(error);
        return "";
    }

    /// <summary>
    /// The parser accepts any bytes inside a string and any \u escape; turning them into .NET strings is what fails.
    /// Every name and string value is tried here, so a bad one is a 400 naming it, not a 500 at first use.
    /// </summary>
    private static string? FindInvalidText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException) { return HttpErrors.InvalidBodyPrefix + $"a field name in {Describe(path)} is not valid Unicode text (invalid UTF-8 or a lone surrogate)"; }
                    if (FindInvalidText(property.Value, path.Length == 0 ? name : path + "." + name) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    if (FindInvalidText(item, $"{path}[{index++}]") is { } bad) return bad;
                return null;
            case JsonValueKind.String:
                try { element.GetRawText(); }
                catch (InvalidOperationException) { return HttpErrors.InvalidBodyPrefix + $"{Describe(path)} is not valid UTF-8"; }
                try { element.GetString(); }
                catch (InvalidOperationException) { return HttpErrors.InvalidBodyPrefix + $"{Describe(path)} holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair)"; }
                return null;
            default:
                return null;
        }
    }

    private static string Describe(string path) => path.Length == 0 ? "the body" : $"field '{path}'";
}
