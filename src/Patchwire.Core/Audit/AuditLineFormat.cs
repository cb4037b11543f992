using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Patchwire.Core.Audit;

/// <summary>
/// The wire form of one audit line: compact JSON, fields in a fixed order (ts first), null fields omitted,
/// ts as ISO 8601 UTC with milliseconds (2026-11-25T15:04:05.123Z), ending in '\n'.
/// </summary>
public static class AuditLineFormat
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
    /// <summary>Length of a timestamp in <see cref="TimestampFormat"/>.</summary>
    public const int TimestampLength = 24;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static string FormatTimestamp(DateTimeOffset ts) =>
        ts.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>The line's bytes, including the final '\n'.</summary>
    public static byte[] Serialize(AuditEntry entry) => Serialize(entry, entry?.Timestamp ?? default);

    /// <summary>The line's bytes with <paramref name="timestamp"/> as its "ts" (the entry is not changed).</summary>
    public static byte[] Serialize(AuditEntry entry, DateTimeOffset timestamp)
    {
        if (entry is null) throw new ArgumentNullException(nameof(entry));
        using var buffer = new MemoryStream(384);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("ts", FormatTimestamp(timestamp));
            json.WriteString("user", entry.User ?? "");
            json.WriteString("project", entry.Project ?? "");
            json.WriteString("route", entry.Route ?? "");
            json.WriteString("prompt_sha256", entry.PromptSha256 ?? "");
            json.WriteNumber("duration_ms", entry.DurationMs);
            json.WriteNumber("queue_wait_ms", entry.QueueWaitMs);
            if (entry.Files is { } files) json.WriteNumber("files", files);
            if (entry.LinesAdded is { } added) json.WriteNumber("lines_added", added);
            if (entry.LinesRemoved is { } removed) json.WriteNumber("lines_removed", removed);
            if (entry.ExitCode is { } exit) json.WriteNumber("exit_code", exit);
            if (entry.Uuid is { } uuid) json.WriteString("uuid", uuid);
            if (entry.TokensIn is { } tokensIn) json.WriteNumber("tokens_in", tokensIn);
            if (entry.TokensOut is { } tokensOut) json.WriteNumber("tokens_out", tokensOut);
            if (entry.Model is { } model) json.WriteString("model", model);
            if (entry.CostUsd is { } cost) json.WriteNumber("cost_usd", Math.Round(cost, 6));
            if (entry.CostSource is { } costSource) json.WriteString("cost_source", costSource);
            if (entry.Error is { } error) json.WriteString("error", error);
            if (entry.VerifyPassed is { } verifyPassed) json.WriteBoolean("verify_passed", verifyPassed);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// Parses one line (without its line ending). False for anything that is not one JSON object with a valid
    /// string "ts" and string "user", or whose known fields have the wrong type. Unknown fields are ignored.
    /// </summary>
    [MethodImpl(AuditHotPath.Optimize)]
    public static bool TryParse(ReadOnlySpan<byte> line, out AuditEntry entry)
    {
        entry = null!;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var result = new AuditEntry();
            bool haveTs = false, haveUser = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    if (reader.Read()) return false; // trailing content after the object
                    if (!haveTs || !haveUser) return false;
                    entry = result;
                    return true;
                }
                if (reader.TokenType != JsonTokenType.PropertyName) return false;
                var name = Field(ref reader);
                if (!reader.Read()) return false;
                switch (name)
                {
                    case Known.Ts:
                        if (reader.TokenType != JsonTokenType.String || !TryReadTimestamp(ref reader, out var ts)) return false;
                        result.Timestamp = ts;
                        haveTs = true;
                        break;
                    case Known.User:
                        if (reader.TokenType != JsonTokenType.String) return false;
                        result.User = reader.GetString()!;
                        haveUser = true;
                        break;
                    case Known.Project: if (!String(ref reader, out var project)) return false; result.Project = project ?? ""; break;
                    case Known.Route: if (!String(ref reader, out var route)) return false; result.Route = route ?? ""; break;
                    case Known.PromptSha256: if (!String(ref reader, out var sha)) return false; result.PromptSha256 = sha ?? ""; break;
                    case Known.DurationMs: if (!Long(ref reader, out var duration)) return false; result.DurationMs = duration ?? 0; break;
                    case Known.QueueWaitMs: if (!Long(ref reader, out var wait)) return false; result.QueueWaitMs = wait ?? 0; break;
                    case Known.Files: if (!Int(ref reader, out var files)) return false; result.Files = files; break;
                    case Known.LinesAdded: if (!Int(ref reader, out var added)) return false; result.LinesAdded = added; break;
                    case Known.LinesRemoved: if (!Int(ref reader, out var removed)) return false; result.LinesRemoved = removed; break;
                    case Known.ExitCode: if (!Int(ref reader, out var exit)) return false; result.ExitCode = exit; break;
                    case Known.Uuid: if (!String(ref reader, out var uuid)) return false; result.Uuid = uuid; break;
                    case Known.TokensIn: if (!Long(ref reader, out var tin)) return false; result.TokensIn = tin; break;
                    case Known.TokensOut: if (!Long(ref reader, out var tout)) return false; result.TokensOut = tout; break;
                    case Known.Model: if (!String(ref reader, out var model)) return false; result.Model = model; break;
                    case Known.CostUsd: if (!Double(ref reader, out var cost)) return false; result.CostUsd = cost; break;
                    case Known.CostSource: if (!String(ref reader, out var costSource)) return false; result.CostSource = costSource; break;
                    case Known.Error: if (!String(ref reader, out var error)) return false; result.Error = error; break;
                    case Known.VerifyPassed: if (!Bool(ref reader, out var verifyPassed)) return false; result.VerifyPassed = verifyPassed; break;
                    default: reader.Skip(); break;
                }
            }
            return false; // no closing brace: a torn line
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Parses a timestamp written in <see cref="TimestampFormat"/> from ASCII bytes, without allocating.</summary>
    public static bool TryParseFixedTimestamp(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length != TimestampLength || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
            return false;
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second)
            || !Digits(s, 20, 3, out var ms))
            return false;
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, ms, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if (d < 0 || d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }

    private static bool TryReadTimestamp(ref Utf8JsonReader reader, out DateTimeOffset ts)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped && TryParseFixedTimestamp(reader.ValueSpan, out ts)) return true;
        var text = reader.GetString();
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts))
            return true;
        return false;
    }

    private static bool String(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.String) return false;
        value = reader.GetString();
        return true;
    }

    private static bool Bool(ref Utf8JsonReader reader, out bool? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return false;
        value = reader.GetBoolean();
        return true;
    }

    private static bool Long(ref Utf8JsonReader reader, out long? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v)) return false;
        value = v;
        return true;
    }

    private static bool Double(ref Utf8JsonReader reader, out double? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var v)) return false;
        value = v;
        return true;
    }

    private static bool Int(ref Utf8JsonReader reader, out int? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var v)) return false;
        value = v;
        return true;
    }

    private enum Known { Other, Ts, User, Project, Route, PromptSha256, DurationMs, QueueWaitMs, Files, LinesAdded, LinesRemoved, ExitCode, Uuid, TokensIn, TokensOut, Model, CostUsd, CostSource, Error, VerifyPassed }

    private static readonly (byte[] Name, Known Field)[] Names =
    {
        (Encoding.UTF8.GetBytes("ts"), Known.Ts),
        (Encoding.UTF8.GetBytes("user"), Known.User),
        (Encoding.UTF8.GetBytes("project"), Known.Project),
        (Encoding.UTF8.GetBytes("route"), Known.Route),
        (Encoding.UTF8.GetBytes("prompt_sha256"), Known.PromptSha256),
        (Encoding.UTF8.GetBytes("duration_ms"), Known.DurationMs),
        (Encoding.UTF8.GetBytes("queue_wait_ms"), Known.QueueWaitMs),
        (Encoding.UTF8.GetBytes("files"), Known.Files),
        (Encoding.UTF8.GetBytes("lines_added"), Known.LinesAdded),
        (Encoding.UTF8.GetBytes("lines_removed"), Known.LinesRemoved),
        (Encoding.UTF8.GetBytes("exit_code"), Known.ExitCode),
        (Encoding.UTF8.GetBytes("uuid"), Known.Uuid),
        (Encoding.UTF8.GetBytes("tokens_in"), Known.TokensIn),
        (Encoding.UTF8.GetBytes("tokens_out"), Known.TokensOut),
        (Encoding.UTF8.GetBytes("model"), Known.Model),
        (Encoding.UTF8.GetBytes("cost_usd"), Known.CostUsd),
        (Encoding.UTF8.GetBytes("cost_source"), Known.CostSource),
        (Encoding.UTF8.GetBytes("error"), Known.Error),
        (Encoding.UTF8.GetBytes("verify_passed"), Known.VerifyPassed),
    };

    private static Known Field(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped)
        {
            foreach (var (name, field) in Names)
                if (reader.ValueTextEquals(name)) return field;
            return Known.Other;
        }
        // Plain names: pick the candidate by length and first letter, then compare once.
        var span = reader.ValueSpan;
        var candidate = (span.Length, span.Length == 0 ? 0 : span[0]) switch
        {
            (2, (byte)'t') => Known.Ts,
            (4, (byte)'u') => span[1] == (byte)'s' ? Known.User : Known.Uuid,
            (7, (byte)'p') => Known.Project,
            (5, (byte)'r') => Known.Route,
            (5, (byte)'f') => Known.Files,
            (13, (byte)'p') => Known.PromptSha256,
            (11, (byte)'d') => Known.DurationMs,
            (13, (byte)'q') => Known.QueueWaitMs,
            (11, (byte)'l') => Known.LinesAdded,
            (13, (byte)'l') => Known.LinesRemoved,
            (9, (byte)'e') => Known.ExitCode,
            (9, (byte)'t') => Known.TokensIn,
            (10, (byte)'t') => Known.TokensOut,
            (5, (byte)'m') => Known.Model,
            (5, (byte)'e') => Known.Error,
            (8, (byte)'c') => Known.CostUsd,
            (11, (byte)'c') => Known.CostSource,
            (13, (byte)'v') => Known.VerifyPassed,
            _ => Known.Other,
        };
        if (candidate == Known.Other) return Known.Other;
        return span.SequenceEqual(NameOf[(int)candidate]) ? candidate : Known.Other;
    }

    private static readonly byte[][] NameOf = BuildNameIndex();

    private static byte[][] BuildNameIndex()
    {
        var index = new byte[Enum.GetValues(typeof(Known)).Length][];
        index[0] = Array.Empty<byte>();
        foreach (var (name, field) in Names) index[(int)field] = name;
        return index;
    }
}
