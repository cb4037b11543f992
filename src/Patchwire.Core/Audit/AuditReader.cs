using System.Runtime.CompilerServices;
using System.Text;

namespace Patchwire.Core.Audit;

/// <summary>
/// Reads the audit log (the live file and its rotated siblings) in time order: oldest rotated file first, live file last.
/// <para>
/// Streaming: memory depends on the chunk size and the number of matches asked for, never on the log's size.
/// With a limit, the files are read backwards from the newest end and reading stops as soon as the limit is reached
/// or (with <see cref="AuditQuery.Since"/>) the lines have become older than needed. Without a limit, matches are
/// yielded as they are read, oldest first.
/// </para>
/// <para>
/// Lines are checked on their raw bytes first (the ts, user, project and route values as written by
/// <see cref="AuditLineFormat"/>) and fully parsed only when they may match. A torn final line, a line of garbage
/// or a line with fields of the wrong type is skipped and counted in <see cref="SkippedLines"/>; that count covers
/// the lines the reader had to look at.
/// </para>
/// </summary>
public sealed class AuditReader
{
    /// <summary>
    /// How far out of order timestamps may be. Lines are appended in time order, but an entry stamped by its caller
    /// before it reached the writer may land a little after a later one, so reading backwards only stops once
    /// lines are this much older than <see cref="AuditQuery.Since"/>.
    /// </summary>
    public static readonly TimeSpan OrderingTolerance = TimeSpan.FromHours(1);

    private static readonly byte[] TsKey = Encoding.ASCII.GetBytes("\"ts\":\"");
    private static readonly byte[] UserKey = Encoding.ASCII.GetBytes("\"user\":\"");
    private static readonly byte[] ProjectKey = Encoding.ASCII.GetBytes("\"project\":\"");
    private static readonly byte[] RouteKey = Encoding.ASCII.GetBytes("\"route\":\"");

    public AuditReader(string logPath)
    {
        if (string.IsNullOrWhiteSpace(logPath)) throw new ArgumentException("The audit log path is empty.", nameof(logPath));
        LogPath = Path.GetFullPath(logPath);
    }

    public string LogPath { get; }

    /// <summary>Lines skipped as torn or malformed during the last read.</summary>
    public int SkippedLines { get; private set; }

    /// <summary>True when the live file or any rotated file exists.</summary>
    public bool Exists => AuditFileSet.NewestFirst(LogPath).Count > 0;

    /// <summary>The matching records, oldest first. Lazy: files are opened when enumeration starts and closed when it ends.</summary>
    public IEnumerable<AuditRecord> Read(AuditQuery query)
    {
        if (query is null) throw new ArgumentNullException(nameof(query));
        if (query.Limit < 0) throw new ArgumentOutOfRangeException(nameof(query), "The limit cannot be negative (0 means all).");
        return ReadIterator(query);
    }

    private IEnumerable<AuditRecord> ReadIterator(AuditQuery query)
    {
        SkippedLines = 0;
        var matcher = new Matcher(query);
        var streams = AuditFileSet.OpenNewestFirst(LogPath);
        try
        {
            if (query.Limit > 0)
            {
                var newestFirst = CollectBackward(streams, matcher, query.Limit);
                for (var i = newestFirst.Count - 1; i >= 0; i--) yield return newestFirst[i];
                yield break;
            }
            var (file, offset) = query.Since is null ? (streams.Count - 1, 0L) : FindStart(streams, matcher);
            for (var i = file; i >= 0; i--)
            {
                var reader = new ForwardLineReader(streams[i], i == file ? offset : 0);
                while (reader.Next(out var start, out var length, out var overlong))
                {
                    if (overlong) { SkippedLines++; continue; }
                    var outcome = matcher.Evaluate(reader.Buffer.AsSpan(start, length), out var record, out _);
                    if (outcome == Outcome.Malformed) SkippedLines++;
                    else if (outcome == Outcome.Match) yield return record!;
                }
            }
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }

    private List<AuditRecord> CollectBackward(List<FileStream> newestFirst, Matcher matcher, int limit)
    {
        var found = new List<AuditRecord>(Math.Min(limit, 1024));
        var skipped = 0;
        foreach (var stream in newestFirst)
        {
            var more = AuditLineScanner.Backward(stream, (line, _, overlong) =>
            {
                if (overlong) { skipped++; return true; }
                var outcome = matcher.Evaluate(line, out var record, out var olderThanNeeded);
                if (outcome == Outcome.Malformed) skipped++;
                else if (outcome == Outcome.Match && found.Count < limit) found.Add(record!);
                return found.Count < limit && !olderThanNeeded;
            });
            if (!more) break;
        }
        SkippedLines += skipped;
        return found;
    }

    /// <summary>Where forward reading must start for a -Since read without limit: just after the newest line older than needed.</summary>
    private static (int File, long Offset) FindStart(List<FileStream> newestFirst, Matcher matcher)
    {
        for (var i = 0; i < newestFirst.Count; i++)
        {
            long? startAfter = null;
            AuditLineScanner.Backward(newestFirst[i], (line, offset, overlong) =>
            {
                if (overlong || !matcher.IsOlderThanNeeded(line)) return true;
                startAfter = offset + line.Length + 1;
                return false;
            });
            if (startAfter is { } position) return (i, position);
        }
        return (newestFirst.Count - 1, 0);
    }

    internal enum Outcome { Blank, Malformed, NoMatch, Match }

    /// <summary>The query, compiled for checking raw lines.</summary>
    internal sealed class Matcher
    {
        private readonly AuditQuery _query;
        private readonly byte[]? _since;
        private readonly byte[]? _stopBefore;
        private readonly DateTimeOffset _stopBeforeTime;

        public Matcher(AuditQuery query)
        {
            _query = query;
            if (query.Since is { } since)
            {
                _since = Encoding.ASCII.GetBytes(AuditLineFormat.FormatTimestamp(since));
                _stopBeforeTime = since > DateTimeOffset.MinValue + OrderingTolerance ? since - OrderingTolerance : DateTimeOffset.MinValue;
                _stopBefore = Encoding.ASCII.GetBytes(AuditLineFormat.FormatTimestamp(_stopBeforeTime));
            }
        }

        [MethodImpl(AuditHotPath.Optimize)]
        public Outcome Evaluate(ReadOnlySpan<byte> raw, out AuditRecord? record, out bool olderThanNeeded)
        {
            record = null;
            olderThanNeeded = false;
            var line = Trim(raw);
            if (line.IsEmpty) return Outcome.Blank;
            if (line[0] != '{' || line[line.Length - 1] != '}') return Outcome.Malformed;

            var tsChecked = false;
            if (line.IndexOf((byte)'\\') < 0) // no escapes: raw values are the real values
            {
                if (_since is not null && FixedTimestamp(line) is { IsEmpty: false } ts)
                {
                    tsChecked = true;
                    if (ts.SequenceCompareTo(_stopBefore) < 0) { olderThanNeeded = true; return Outcome.NoMatch; }
                    if (ts.SequenceCompareTo(_since) < 0) return Outcome.NoMatch;
                }
                if (!MayMatch(line, UserKey, _query.User) || !MayMatch(line, ProjectKey, _query.Project) || !MayMatch(line, RouteKey, _query.Route))
                {
                    if (tsChecked || _since is null) return Outcome.NoMatch;
                }
            }

            if (!AuditLineFormat.TryParse(line, out var entry)) return Outcome.Malformed;
            if (_query.Since is { } since && entry.Timestamp < since)
            {
                olderThanNeeded = entry.Timestamp < _stopBeforeTime;
                return Outcome.NoMatch;
            }
            if (_query.User is { } user && !user.Matches(entry.User)) return Outcome.NoMatch;
            if (_query.Project is { } project && !project.Matches(entry.Project)) return Outcome.NoMatch;
            if (_query.Route is { } route && !route.Matches(entry.Route)) return Outcome.NoMatch;
            record = new AuditRecord(entry, Utf8.GetString(line.ToArray()));
            return Outcome.Match;
        }

        /// <summary>True only for a well-formed line whose timestamp is older than anything this query could still need.</summary>
        [MethodImpl(AuditHotPath.Optimize)]
        public bool IsOlderThanNeeded(ReadOnlySpan<byte> raw)
        {
            if (_since is null) return false;
            var line = Trim(raw);
            if (line.IsEmpty || line[0] != '{' || line[line.Length - 1] != '}') return false;
            if (line.IndexOf((byte)'\\') < 0 && FixedTimestamp(line) is { IsEmpty: false } ts)
                return ts.SequenceCompareTo(_stopBefore) < 0;
            return AuditLineFormat.TryParse(line, out var entry) && entry.Timestamp < _stopBeforeTime;
        }

        private static readonly UTF8Encoding Utf8 = new(false);

        private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line)
        {
            var start = 0;
            var end = line.Length;
            while (start < end && IsSpace(line[start])) start++;
            while (end > start && IsSpace(line[end - 1])) end--;
            return line.Slice(start, end - start);
        }

        private static bool IsSpace(byte b) => b == ' ' || b == '\t' || b == '\r';

        /// <summary>The ts value when written in the fixed format (then byte order is time order), else empty.</summary>
        [MethodImpl(AuditHotPath.Optimize)]
        private static ReadOnlySpan<byte> FixedTimestamp(ReadOnlySpan<byte> line)
        {
            var at = line.IndexOf(TsKey);
            if (at < 0) return default;
            var start = at + TsKey.Length;
            if (line.Length < start + AuditLineFormat.TimestampLength + 1 || line[start + AuditLineFormat.TimestampLength] != '"') return default;
            var ts = line.Slice(start, AuditLineFormat.TimestampLength);
            return ts[10] == 'T' && ts[23] == 'Z' && ts[19] == '.' ? ts : default;
        }

        /// <summary>False only when the raw value under <paramref name="key"/> certainly fails <paramref name="filter"/>.</summary>
        [MethodImpl(AuditHotPath.Optimize)]
        private static bool MayMatch(ReadOnlySpan<byte> line, byte[] key, AuditTextFilter? filter)
        {
            if (filter?.FoldedHint is null) return true;
            var at = line.IndexOf(key);
            if (at < 0) return true; // written differently (spaces, another order): let the full parse decide
            var value = line.Slice(at + key.Length);
            var close = value.IndexOf((byte)'"');
            if (close < 0) return true;
            return filter.MayMatch(value.Slice(0, close));
        }
    }
}
