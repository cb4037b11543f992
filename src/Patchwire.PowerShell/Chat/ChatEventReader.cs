using System.Text;
using System.Text.Json;
using Patchwire.Core.Protocol;

namespace Patchwire.PowerShell.Chat;

/// <summary>
/// Reads the NDJSON stream of POST /chat one event at a time, as the agent flushes it. Unknown event types are
/// returned too (their Type is set), so newer agents can add events without breaking older modules.
/// </summary>
public sealed class ChatEventReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, new UTF8Encoding(false));

    /// <summary>The next event, or null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">A line that is not a JSON object with a type.</exception>
    public async Task<ChatEvent?> ReadAsync()
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync().ConfigureAwait(false);
            if (line is null) return null;
            if (line.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var type = ProtocolJson.TypeOf(doc.RootElement) ?? throw new InvalidDataException("An event without a type: " + Shorten(line));
                return new ChatEvent(type, doc.RootElement.Clone());
            }
            catch (JsonException)
            {
                throw new InvalidDataException("A line that is not JSON: " + Shorten(line));
            }
        }
    }

    private static string Shorten(string line) => line.Length > 200 ? line.Substring(0, 200) + "…" : line;

    public void Dispose() => _reader.Dispose();
}

/// <summary>One event of a chat stream: its type and its JSON, with typed reads of the fields chat uses.</summary>
public sealed class ChatEvent(string type, JsonElement json)
{
    public string Type { get; } = type;
    public JsonElement Json { get; } = json;

    public string? String(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public long Number(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
    public bool Flag(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
