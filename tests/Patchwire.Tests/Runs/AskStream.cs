using System.Net.Http.Json;
using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>One POST /ask read event by event, as a client that watches the stream would.</summary>
public sealed class AskStream : NdjsonStream
{
    private AskStream(Opened opened) : base(opened) { }

    public static async Task<AskStream> OpenAsync(HttpClient client, object body, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = JsonContent.Create(body) };
        return await OpenAsync(client, request, cancellationToken);
    }

    public static async Task<AskStream> OpenAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken = default) =>
        new(await SendAsync(client, request, cancellationToken));

    /// <summary>The last event, which must be the one result or error.</summary>
    public JsonElement Final => Events[^1];

    public static async Task<AskStream> RunAsync(HttpClient client, object body)
    {
        var stream = await OpenAsync(client, body);
        await stream.ReadAllAsync();
        return stream;
    }
}
