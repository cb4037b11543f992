using System.Net;
using System.Text.Json;

namespace Patchwire.Tests.Infrastructure;

/// <summary>
/// One request answered with NDJSON (POST /ask, POST /chat), read event by event as a client that watches the stream
/// would. A pre-flight failure (a plain HTTP error) keeps its body in <see cref="ErrorBody"/> and has no events.
/// </summary>
public abstract class NdjsonStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader? _reader;

    protected NdjsonStream(Opened opened)
    {
        _response = opened.Response;
        _reader = opened.Reader;
        ErrorBody = opened.ErrorBody;
    }

    /// <summary>A sent request: its response, and either a reader on the streamed body or the error body.</summary>
    protected sealed record Opened(HttpResponseMessage Response, StreamReader? Reader, string? ErrorBody);

    protected static async Task<Opened> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            return new Opened(response, null, await response.Content.ReadAsStringAsync(cancellationToken));
        return new Opened(response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)), null);
    }

    public HttpStatusCode Status => _response.StatusCode;
    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;
    /// <summary>The plain-HTTP body of a pre-flight failure.</summary>
    public string? ErrorBody { get; }
    public List<JsonElement> Events { get; } = new();
    /// <summary>Blank keep-alive lines skipped so far (PW_KEEPALIVE_SEC).</summary>
    public int BlankLines { get; private set; }

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<JsonElement?> NextAsync(TimeSpan? timeout = null)
    {
        if (_reader is null) return null;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        string? line;
        while ((line = await _reader.ReadLineAsync(cts.Token)) is not null && line.Length == 0) BlankLines++;
        if (line is null) return null;
        var element = JsonDocument.Parse(line).RootElement.Clone();
        Events.Add(element);
        return element;
    }

    /// <summary>Reads to the end; returns all events.</summary>
    public async Task<List<JsonElement>> ReadAllAsync(TimeSpan? timeout = null)
    {
        while (await NextAsync(timeout) is not null) { }
        return Events;
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
