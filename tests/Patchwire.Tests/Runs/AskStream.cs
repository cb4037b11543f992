using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>One POST /ask read event by event, as a client that watches the stream would.</summary>
public sealed class AskStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader? _reader;

    private AskStream(HttpResponseMessage response, StreamReader? reader, string? errorBody)
    {
        _response = response;
        _reader = reader;
        ErrorBody = errorBody;
    }

    public HttpStatusCode Status => _response.StatusCode;
    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;
    /// <summary>The plain-HTTP body of a pre-flight failure.</summary>
    public string? ErrorBody { get; }
    public List<JsonElement> Events { get; } = new();

    public static async Task<AskStream> OpenAsync(HttpClient client, object body, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = JsonContent.Create(body) };
        return await OpenAsync(client, request, cancellationToken);
    }

    public static async Task<AskStream> OpenAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            return new AskStream(response, null, await response.Content.ReadAsStringAsync(cancellationToken));
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new AskStream(response, new StreamReader(stream), null);
    }

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<JsonElement?> NextAsync(TimeSpan? timeout = null)
    {
        if (_reader is null) return null;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var line = await _reader.ReadLineAsync(cts.Token);
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

    /// <summary>The last event, which must be the one result or error.</summary>
    public JsonElement Final => Events[^1];

    public static async Task<AskStream> RunAsync(HttpClient client, object body)
    {
        var stream = await OpenAsync(client, body);
        await stream.ReadAllAsync();
        return stream;
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
