using System.Net.Http;
using System.Text;
using System.Text.Json;
using Patchwire.Core.Protocol;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// The NDJSON answer of POST /ask or POST /chat, read one event at a time as the agent flushes it. Cancelling the token
/// given to <see cref="PostAsync"/> closes the connection, which makes the agent drop the request from its queue or stop
/// the run. Events of unknown types are returned too, so newer agents can add events without breaking older modules.
/// </summary>
internal sealed class AgentEventStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly CancellationTokenRegistration _abort;

    private AgentEventStream(HttpResponseMessage response, Stream body, CancellationToken cancellationToken)
    {
        _response = response;
        _reader = new StreamReader(body, new UTF8Encoding(false));
        // ReadLineAsync has no token on netstandard2.0: disposing the response aborts a read that is waiting.
        _abort = cancellationToken.Register(() => response.Dispose());
    }

    /// <exception cref="AgentClientException">The agent refused the request (pre-flight) or could not be reached.</exception>
    public static async Task<AgentEventStream> PostAsync<TBody>(AgentClient client, string route, TBody body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = AgentClient.Json(body) };
        var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            return new AgentEventStream(response, stream, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The next event (its Type is null when the line has none), or null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">A line that is not JSON.</exception>
    /// <exception cref="IOException">The connection broke (also <see cref="ObjectDisposedException"/> or <see cref="HttpRequestException"/>, or after cancelling).</exception>
    public async Task<AgentEvent?> ReadAsync()
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync().ConfigureAwait(false);
            if (line is null) return null;
            if (line.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                return new AgentEvent(ProtocolJson.TypeOf(doc.RootElement), doc.RootElement.Clone());
            }
            catch (JsonException)
            {
                throw new InvalidDataException("A line that is not JSON: " + Shorten(line));
            }
        }
    }

    public static string Shorten(string line) => line.Length > 200 ? line.Substring(0, 200) + "…" : line;

    public void Dispose()
    {
        _abort.Dispose();
        _reader.Dispose();
        _response.Dispose();
    }
}

/// <summary>One event of an /ask or /chat stream: its type and its JSON, read as Core's protocol types.</summary>
internal sealed class AgentEvent(string? type, JsonElement json)
{
    /// <summary>The event's "type"; null when the line has none.</summary>
    public string? Type { get; } = type;
    public JsonElement Json { get; } = json;

    /// <summary>The event as its protocol type (Core.Protocol: QueuedEvent, ResultEvent, ChatDiffEvent, ...).</summary>
    /// <exception cref="InvalidDataException">A field has the wrong JSON type.</exception>
    public T As<T>() where T : class
    {
        try { return Json.Deserialize<T>(ProtocolJson.Options) ?? throw new InvalidDataException($"An empty {Type} event."); }
        catch (JsonException ex) { throw new InvalidDataException($"A {Type} event this module cannot read ({ex.Message}): {AgentEventStream.Shorten(Json.GetRawText())}"); }
    }
}
