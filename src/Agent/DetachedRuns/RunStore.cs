using Microsoft.Data.Sqlite;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// Detached runs and their numbered events in an embedded SQLite file under PW_HOME (owner-only), so results outlive
/// the client and the agent. One connection behind a lock: the writes are a few small rows per run.
/// </summary>
public sealed class RunStore : IDisposable
{
    private readonly object _gate = new();
    private readonly string _file;
    private SqliteConnection? _connection;

    public RunStore(DetachedRunOptions options) => _file = options.StoreFile;

    /// <summary>Opens (creating if needed) the store; called at start, before the port opens.</summary>
    public void Open()
    {
        lock (_gate)
        {
            if (_connection is not null) return;
            var connection = StateDatabase.Open(_file, """
                CREATE TABLE IF NOT EXISTS runs (
                    id TEXT PRIMARY KEY, user TEXT NOT NULL, project TEXT NOT NULL, prompt_sha256 TEXT NOT NULL,
                    state TEXT NOT NULL, position INTEGER, created_ms INTEGER NOT NULL, started_ms INTEGER,
                    finished_ms INTEGER, message TEXT, final_event TEXT, event_count INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS runs_user ON runs(user, created_ms);
                CREATE TABLE IF NOT EXISTS events (
                    run_id TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (run_id, seq));
                """);
            // final_seq (added after the first release; older files get the column, their rows keep final_event whole):
            // set when the final event is too long to keep twice, final_event then holds only its file list.
            if (!HasColumn(connection, "runs", "final_seq")) Execute(connection, "ALTER TABLE runs ADD COLUMN final_seq INTEGER");
            _connection = connection;
        }
    }

    public void Insert(RunRecord run)
    {
        lock (_gate)
            Execute(Connection, """
                INSERT INTO runs (id, user, project, prompt_sha256, state, position, created_ms, event_count)
                VALUES ($id, $user, $project, $hash, $state, $position, $created, 0)
                """, ("$id", run.Id), ("$user", run.User), ("$project", run.Project), ("$hash", run.PromptSha256),
                ("$state", run.State), ("$position", run.Position), ("$created", run.CreatedAt.ToUnixTimeMilliseconds()));
    }

    /// <summary>Appends event number <paramref name="seq"/> and saves the run's state in one transaction.</summary>
    public void AppendEvent(RunRecord run, int seq, string line)
    {
        lock (_gate)
        {
            using var transaction = Connection.BeginTransaction();
            Execute(Connection, "INSERT INTO events (run_id, seq, line) VALUES ($id, $seq, $line)", ("$id", run.Id), ("$seq", seq), ("$line", line));
            UpdateState(run);
            transaction.Commit();
        }
    }

    /// <summary>
    /// Appends a long event line (a result with its diff) from the UTF-8 pieces it arrived in, written through a blob
    /// handle after <paramref name="prefix"/> (its <c>{"seq":N,</c>): the line is never a string, never copied whole.
    /// </summary>
    public void AppendEvent(RunRecord run, int seq, ReadOnlySpan<byte> prefix, IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        long length = prefix.Length;
        foreach (var piece in pieces) length += piece.Length;
        lock (_gate)
        {
            using var transaction = Connection.BeginTransaction();
            Execute(Connection, "INSERT INTO events (run_id, seq, line) VALUES ($id, $seq, zeroblob($length))", ("$id", run.Id), ("$seq", seq), ("$length", length));
            long rowid;
            using (var last = Command(Connection, "SELECT last_insert_rowid()")) rowid = (long)last.ExecuteScalar()!;
            using (var blob = new SqliteBlob(Connection, "events", "line", rowid))
            {
                blob.Write(prefix);
                foreach (var piece in pieces) blob.Write(piece.Span);
            }
            UpdateState(run);
            transaction.Commit();
        }
    }

    /// <summary>
    /// Event <paramref name="seq"/>'s stored line as a stream of its UTF-8 bytes, read through its own read-only
    /// connection (so a slow client never holds the store), or null when there is no such event.
    /// </summary>
    public Stream? OpenEvent(string id, int seq)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            connection.Open();
            using var command = Command(connection, "SELECT rowid FROM events WHERE run_id = $id AND seq = $seq", ("$id", id), ("$seq", seq));
            if (command.ExecuteScalar() is not long rowid)
            {
                connection.Dispose();
                return null;
            }
            return new OwningStream(new SqliteBlob(connection, "events", "line", rowid, readOnly: true), connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Update(RunRecord run)
    {
        lock (_gate) UpdateState(run);
    }

    public RunRecord? Find(string user, string id)
    {
        lock (_gate)
            return Query("SELECT * FROM runs WHERE id = $id AND user = $user", ("$id", id), ("$user", user)).FirstOrDefault();
    }

    public List<RunRecord> List(string user)
    {
        lock (_gate)
            // The list shows each run's files, never its diff: of the final event only its file list is read out.
            return Query("""
                SELECT id, user, project, prompt_sha256, state, position, created_ms, started_ms, finished_ms, message, event_count, final_seq,
                    CASE WHEN final_event IS NULL THEN NULL ELSE json_object('files', json_extract(final_event, '$.files')) END AS final_event
                FROM runs WHERE user = $user ORDER BY created_ms, id
                """, ("$user", user));
    }

    /// <summary>The numbers of the events above <paramref name="after"/>, in order (read each with <see cref="OpenEvent"/>).</summary>
    public List<int> EventNumbers(string id, int after)
    {
        lock (_gate)
        {
            using var command = Command(Connection, "SELECT seq FROM events WHERE run_id = $id AND seq > $after ORDER BY seq", ("$id", id), ("$after", after));
            using var reader = command.ExecuteReader();
            var events = new List<int>();
            while (reader.Read()) events.Add(reader.GetInt32(0));
            return events;
        }
    }

    /// <summary>Runs not final: those the agent was busy with when it died.</summary>
    public List<RunRecord> Unfinished()
    {
        lock (_gate)
            return Query("SELECT * FROM runs WHERE state IN ($queued, $running)", ("$queued", RunStates.Queued), ("$running", RunStates.Running));
    }

    /// <summary>Deletes final runs that finished before <paramref name="cutoff"/> with their events; returns how many.</summary>
    public int DeleteFinishedBefore(DateTimeOffset cutoff)
    {
        lock (_gate)
        {
            using var transaction = Connection.BeginTransaction();
            var ms = cutoff.ToUnixTimeMilliseconds();
            Execute(Connection, "DELETE FROM events WHERE run_id IN (SELECT id FROM runs WHERE finished_ms IS NOT NULL AND finished_ms < $cutoff)", ("$cutoff", ms));
            var removed = Execute(Connection, "DELETE FROM runs WHERE finished_ms IS NOT NULL AND finished_ms < $cutoff", ("$cutoff", ms));
            transaction.Commit();
            return removed;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection?.Dispose();
            _connection = null;
        }
    }

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("The run store is not open.");

    private void UpdateState(RunRecord run) =>
        Execute(Connection, """
            UPDATE runs SET state = $state, position = $position, started_ms = $started, finished_ms = $finished,
                message = $message, final_event = $final, final_seq = $finalSeq, event_count = $count WHERE id = $id
            """, ("$finalSeq", run.FinalSeq), ("$id", run.Id), ("$state", run.State), ("$position", run.Position), ("$started", run.StartedAt?.ToUnixTimeMilliseconds()),
            ("$finished", run.FinishedAt?.ToUnixTimeMilliseconds()), ("$message", run.Message), ("$final", run.FinalEvent), ("$count", run.EventCount));

    private List<RunRecord> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(Connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var runs = new List<RunRecord>();
        while (reader.Read())
        {
            runs.Add(new RunRecord
            {
                Id = reader.GetString(reader.GetOrdinal("id")),
                User = reader.GetString(reader.GetOrdinal("user")),
                Project = reader.GetString(reader.GetOrdinal("project")),
                PromptSha256 = reader.GetString(reader.GetOrdinal("prompt_sha256")),
                State = reader.GetString(reader.GetOrdinal("state")),
                Position = NullableInt(reader, "position"),
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("created_ms"))),
                StartedAt = Time(reader, "started_ms"),
                FinishedAt = Time(reader, "finished_ms"),
                Message = NullableString(reader, "message"),
                FinalEvent = NullableString(reader, "final_event"),
                FinalSeq = NullableInt(reader, "final_seq"),
                EventCount = reader.GetInt32(reader.GetOrdinal("event_count")),
            });
        }
        return runs;
    }

    private static int? NullableInt(SqliteDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetInt32(reader.GetOrdinal(column));

    private static string? NullableString(SqliteDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));

    private static DateTimeOffset? Time(SqliteDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal(column)));

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var command = Command(connection, $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = $column", ("$column", column));
        return (long)command.ExecuteScalar()! > 0;
    }

    /// <summary>A blob stream that closes its connection with it.</summary>
    private sealed class OwningStream(SqliteBlob blob, SqliteConnection connection) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => blob.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => blob.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => blob.Seek(offset, origin);
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => blob.Length;
        public override long Position { get => blob.Position; set => blob.Position = value; }
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                blob.Dispose();
                connection.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
