using System.Text.Json;

namespace Patchwire.Agent.Http;

/// <summary>
/// Untyped {"error": ...} bodies, kept only for Sync/SnapshotReceiver as main last changed it (507, checkout bounds);
/// everything else answers with <see cref="ApiError"/>. To go once that file moves to ApiError.
/// </summary>
public static class JsonErrors
{
    public static Task WriteAsync(HttpContext context, int status, string error, object? extra = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(Body(error, extra), context.RequestAborted);
    }

    public static IResult Result(int status, string error, object? extra = null) =>
        Results.Text(Body(error, extra), "application/json; charset=utf-8", statusCode: status);

    private static string Body(string error, object? extra)
    {
        var doc = new Dictionary<string, object?> { ["error"] = error };
        if (extra is not null)
            foreach (var p in extra.GetType().GetProperties())
                doc[JsonNamingPolicy.CamelCase.ConvertName(p.Name)] = p.GetValue(extra);
        return JsonSerializer.Serialize(doc);
    }
}
