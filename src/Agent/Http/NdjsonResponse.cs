using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Http;

/// <summary>An application/x-ndjson stream of protocol events (/ask, /chat), each line flushed as it is written.</summary>
public static class NdjsonResponse
{
    /// <summary>The protocol's options, without escaping '+' and friends: diffs are full of them.</summary>
    private static readonly JsonSerializerOptions EventJson = new(ProtocolJson.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task StartAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return context.Response.StartAsync(context.RequestAborted);
    }

    /// <summary>Writes one event line; a client that went away is ignored here (the run reacts through RequestAborted).</summary>
    public static async Task WriteEventAsync<T>(HttpContext context, T payload)
    {
        if (context.RequestAborted.IsCancellationRequested) return;
        try
        {
            var line = JsonSerializer.SerializeToUtf8Bytes(payload, EventJson);
            await context.Response.Body.WriteAsync(line, context.RequestAborted);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
