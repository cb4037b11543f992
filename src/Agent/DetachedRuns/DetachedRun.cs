using System.Text.Json;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// A detached run the agent is working on: its record and numbered events, each saved to the <see cref="RunStore"/>
/// as it arrives, and a signal for the clients following its events.
/// </summary>
public sealed class DetachedRun
{
    private readonly object _gate = new();
    private readonly RunRecord _record;
    private readonly RunStore _store;
    private TaskCompletionSource _changed = NewSignal();

    public DetachedRun(RunRecord record, RunStore store)
    {
        _record = record;
        _store = store;
    }

    public string Id => _record.Id;
    public string User => _record.User;

    /// <summary>Cancelled by DELETE: the /ask flow sees it as its client going away (leave the queue, or kill and restore).</summary>
    public CancellationTokenSource Cancellation { get; } = new();
    public bool CancelRequested { get; private set; }
    public Task Completion { get; set; } = Task.CompletedTask;

    public RunRecord Snapshot()
    {
        lock (_gate) return _record.Copy();
    }

    /// <summary>Completes at the next event or when the run ends.</summary>
    public Task NextChange()
    {
        lock (_gate) return RunStates.IsFinal(_record.State) ? Task.CompletedTask : _changed.Task;
    }

    public void RequestCancel()
    {
        lock (_gate)
        {
            if (RunStates.IsFinal(_record.State)) return;
            CancelRequested = true;
        }
        Cancellation.Cancel();
    }

    /// <summary>One NDJSON event line from the /ask flow.</summary>
    public void Append(string line)
    {
        // A result carries its diff (up to PW_MAX_DIFF_BYTES): a line that long is not parsed whole, its type is read from its start.
        using var doc = line.Length > WholeParseLimit ? null : JsonDocument.Parse(line);
        var root = doc?.RootElement ?? default;
        var type = doc is null ? LeadingType(line) : root.TryGetProperty("type", out var t) ? t.GetString() : null;
        lock (_gate)
        {
            if (RunStates.IsFinal(_record.State)) return;
            switch (type)
            {
                case EventTypes.Queued:
                    _record.Position = doc is not null && root.TryGetProperty("position", out var p) && p.TryGetInt32(out var position) ? position : null;
                    break;
                case EventTypes.Accepted:
                    _record.State = RunStates.Running;
                    _record.StartedAt = DateTimeOffset.UtcNow;
                    break;
                case EventTypes.Result:
                    Final(RunStates.Succeeded, null, line);
                    break;
                case EventTypes.Error:
                    Final(RunStates.Failed, doc is not null && root.TryGetProperty("message", out var m) ? m.GetString() : null, line);
                    break;
            }
            Save(line);
        }
    }

    /// <summary>
    /// One long NDJSON event line (over <see cref="WholeParseLimit"/>: a result with its diff) as the UTF-8 pieces it
    /// arrived in. Read once with a forward-only reader for its type, message and files; stored once, as bytes: the run's
    /// record keeps only the file list and points at the event (<see cref="RunRecord.FinalSeq"/>).
    /// </summary>
    public void Append(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        var (type, message, files) = Outline(pieces);
        lock (_gate)
        {
            if (RunStates.IsFinal(_record.State)) return;
            var seq = _record.EventCount + 1;
            var summary = JsonSerializer.Serialize(files is null ? new Dictionary<string, List<string>>() : new() { ["files"] = files });
            switch (type)
            {
                case EventTypes.Accepted:
                    _record.State = RunStates.Running;
                    _record.StartedAt = DateTimeOffset.UtcNow;
                    break;
                case EventTypes.Result:
                    Final(RunStates.Succeeded, null, summary);
                    _record.FinalSeq = seq;
                    break;
                case EventTypes.Error:
                    Final(RunStates.Failed, message, summary);
                    _record.FinalSeq = seq;
                    break;
            }
            _record.EventCount = seq;
            // As Numbered: {"seq":N, then the line after its opening brace.
            var prefix = System.Text.Encoding.UTF8.GetBytes("{\"seq\":" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",");
            var rest = pieces.ToList();
            if (rest.Count > 0) rest[0] = rest[0][1..];
            _store.AppendEvent(_record, seq, prefix, rest);
            Signal();
        }
    }

    /// <summary>The top-level type, message and files of a long event line, its other values skipped unread.</summary>
    private static (string? Type, string? Message, List<string>? Files) Outline(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        string? type = null, message = null;
        List<string>? files = null;
        try
        {
            var reader = new Utf8JsonReader(Segment.Sequence(pieces), new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("type"u8) ? "type" : reader.ValueTextEquals("message"u8) ? "message" : reader.ValueTextEquals("files"u8) ? "files" : null;
                if (!reader.Read()) break;
                if (name is "type" or "message" && reader.TokenType == JsonTokenType.String)
                {
                    if (name == "type") type = reader.GetString();
                    else message = reader.GetString();
                }
                else if (name == "files" && reader.TokenType == JsonTokenType.StartArray)
                {
                    files = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        if (reader.TokenType == JsonTokenType.String) files.Add(reader.GetString()!);
                        else reader.Skip();
                }
                else reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return (type, message, files);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public static System.Buffers.ReadOnlySequence<byte> Sequence(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
        {
            if (pieces.Count == 0) return System.Buffers.ReadOnlySequence<byte>.Empty;
            var first = new Segment { Memory = pieces[0] };
            var last = first;
            for (var i = 1; i < pieces.Count; i++)
            {
                var next = new Segment { Memory = pieces[i], RunningIndex = last.RunningIndex + last.Memory.Length };
                last.Next = next;
                last = next;
            }
            return new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }

    /// <summary>
    /// The /ask flow is over. A run without a final event gets one: cancelled, refused at its late pre-flight
    /// (<paramref name="status"/> not 200, <paramref name="body"/> its JSON error), or an internal error.
    /// </summary>
    public void Finish(int status, string body)
    {
        lock (_gate)
        {
            if (RunStates.IsFinal(_record.State)) return;
            if (CancelRequested)
                SaveFinal(RunStates.Cancelled, DetachedErrorCodes.Cancelled, "Cancelled; the run was stopped and the checkout restored.");
            else if (status != StatusCodes.Status200OK)
                SaveFinal(RunStates.Failed, ErrorCodes.RunFailed, $"The run could not start ({status}): {ErrorText(body)}");
            else
                SaveFinal(RunStates.Failed, ErrorCodes.Internal, "The run ended without a result; details are in the agent's log.");
        }
    }

    /// <summary>Ends a run the agent was busy with when it died (start-up recovery).</summary>
    public static void FailUnfinished(RunRecord record, RunStore store, string message)
    {
        var run = new DetachedRun(record, store);
        lock (run._gate) run.SaveFinal(RunStates.Failed, DetachedErrorCodes.AgentRestarted, message);
    }

    /// <summary>The line as the events route serves it: <c>{"seq":N,...}</c>.</summary>
    public static string Numbered(int seq, string line) => "{\"seq\":" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture) + (line.Length > 2 ? "," : "") + line[1..];

    private void SaveFinal(string state, string code, string message)
    {
        var line = JsonSerializer.Serialize(new ErrorEvent { Code = code, Message = message }, ProtocolJson.Options);
        Final(state, message, line);
        Save(line);
    }

    private void Final(string state, string? message, string line)
    {
        _record.State = state;
        _record.Message = message;
        _record.FinalEvent = line;
        _record.FinalSeq = null;
        _record.FinishedAt = DateTimeOffset.UtcNow;
    }

    private void Save(string line)
    {
        _record.EventCount++;
        _store.AppendEvent(_record, _record.EventCount, Numbered(_record.EventCount, line));
        Signal();
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    internal const int WholeParseLimit = 64 * 1024;

    /// <summary>The top-level "type" of a JSON object, read from the object's first few KiB (null when it is not there).</summary>
    internal static string? LeadingType(string line)
    {
        var head = System.Text.Encoding.UTF8.GetBytes(line[..Math.Min(line.Length, 4096)]);
        var reader = new Utf8JsonReader(head, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read()) return null;
                if (isType) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (!reader.TrySkip()) return null;
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static string ErrorText(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String) return error.GetString()!;
        }
        catch (JsonException)
        {
        }
        return body.Length > 200 ? body[..200] : body;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
