using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Http;

/// <summary>
/// An application/x-ndjson stream of protocol events (/ask, /chat), each line flushed as it is written. Writes from
/// several tasks (chat text, keep-alive lines, closing events) go through one gate, so lines are never interleaved.
/// </summary>
public static class NdjsonResponse
{
    private static readonly JsonSerializerOptions EventJson = ProtocolJson.EventLines;

    private static readonly byte[] BlankLine = "\n"u8.ToArray();

    public static Task StartAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Features.Set(new StreamGate());
        return context.Response.StartAsync(context.RequestAborted);
    }

    /// <summary>Writes one event line; a client that went away is ignored here (the run reacts through RequestAborted).</summary>
    public static Task WriteEventAsync<T>(HttpContext context, T payload)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload, EventJson);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return WriteAsync(context, line);
    }

    /// <summary>
    /// Until <paramref name="stop"/>, writes a blank line whenever the stream has been quiet for <paramref name="interval"/>,
    /// so proxies and NATs that cut idle connections keep it open while a request waits or runs. Clients skip blank lines.
    /// </summary>
    public static async Task KeepAliveAsync(HttpContext context, TimeSpan interval, CancellationToken stop)
    {
        var gate = context.Features.Get<StreamGate>();
        if (gate is null) return;
        try
        {
            while (!stop.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                var quiet = TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref gate.LastWriteTicks));
                if (quiet >= interval) await WriteAsync(context, BlankLine);
                else await Task.Delay(interval - quiet, stop);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task WriteAsync(HttpContext context, byte[] bytes)
    {
        if (context.RequestAborted.IsCancellationRequested) return;
        var gate = context.Features.Get<StreamGate>();
        try
        {
            if (gate is not null) await gate.Lock.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) { return; }
        try
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (gate is not null) Volatile.Write(ref gate.LastWriteTicks, Environment.TickCount64);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client is gone: make sure the request is aborted, which cancels its queue place or its run.
            context.Abort();
        }
        finally
        {
            gate?.Lock.Release();
        }
    }

    /// <summary>One stream's write lock and the time of its last write.</summary>
    private sealed class StreamGate
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public long LastWriteTicks = Environment.TickCount64;
    }
}
