using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Patchwire.Agent.Configuration;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Chat;

public enum TurnRefusal
{
    None,
    /// <summary>The session already has a turn queued or running.</summary>
    InFlight,
    /// <summary>The session was started for another project (the AI's session lives in that checkout).</summary>
    OtherProject,
    /// <summary>A new session, and every one of the user's PW_MAX_SESSIONS_PER_USER sessions has a turn in flight.</summary>
    TooManySessions,
}

/// <summary>
/// The sessions of all users, one row each in the agent's embedded state store (<see cref="StateDatabase"/>, table
/// chat_sessions), so a change is one small write whatever the number of sessions, and sessions survive a restart.
/// At most one turn per session at a time; at most <see cref="ChatOptions.MaxSessionsPerUser"/> sessions per user,
/// a new one expiring the user's longest-idle session. The JSON file older agents kept ($PW_HOME/agent-sessions.json)
/// is moved into the store on start.
/// </summary>
public sealed class ChatSessionStore : IDisposable
{
    private const string InterruptedMessage = "The agent stopped during this turn; its changes were discarded. Send the turn again.";
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS chat_sessions (
            user TEXT NOT NULL, uuid TEXT NOT NULL, project TEXT NOT NULL, ai_session_id TEXT,
            turn_count INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, created_ms INTEGER NOT NULL,
            started_ms INTEGER NOT NULL, active_ms INTEGER NOT NULL, tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0, duration_ms INTEGER NOT NULL DEFAULT 0, error_message TEXT,
            PRIMARY KEY (user, uuid));
        CREATE INDEX IF NOT EXISTS chat_sessions_idle ON chat_sessions(user, active_ms);
        """;

    private readonly object _gate = new();
    private readonly string _legacyFile;
    private readonly string _databaseFile;
    private readonly int _maxPerUser;
    private readonly ILogger<ChatSessionStore> _log;
    private SqliteConnection? _connection;

    private static readonly JsonSerializerOptions LegacyJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public ChatSessionStore(AgentOptions options, ChatOptions chat, ILogger<ChatSessionStore> log)
    {
        _legacyFile = options.SessionsFile;
        _databaseFile = StateDatabase.FileOf(options);
        _maxPerUser = chat.MaxSessionsPerUser;
        _log = log;
    }

    /// <summary>Where the old JSON file goes once its sessions are in the store.</summary>
    public static string LegacyBackupOf(string legacyFile) => legacyFile + ".migrated";

    /// <summary>
    /// Opens the store (at start, before the port opens) and returns what the operator should read, or null. A turn
    /// still marked in flight was cut short by a crash or kill; it is marked failed so the session can go on. An old
    /// agent-sessions.json is moved in (in one transaction, rows already there kept, so a start that dies half-way
    /// does it again harmlessly), then renamed to <see cref="LegacyBackupOf"/>. One that cannot be read stops the start,
    /// naming the file, and nothing is written. Users over the cap (a lowered PW_MAX_SESSIONS_PER_USER, a big old file)
    /// lose their longest-idle sessions.
    /// </summary>
    /// <exception cref="ConfigurationException">agent-sessions.json exists and is not a sessions file.</exception>
    public string? Load()
    {
        lock (_gate)
        {
            List<ChatSession>? legacy = null;
            if (File.Exists(_legacyFile)) legacy = ReadLegacy(_legacyFile);

            _connection ??= StateDatabase.Open(_databaseFile, Schema);
            Execute("UPDATE chat_sessions SET status = $error, error_message = $message WHERE status = $inFlight",
                ("$error", ChatSessionStatus.Error), ("$message", InterruptedMessage), ("$inFlight", ChatSessionStatus.InFlight));

            var notes = new List<string>();
            if (legacy is not null)
            {
                var moved = 0;
                using (var transaction = Connection.BeginTransaction())
                {
                    foreach (var session in legacy) moved += Insert(session, orIgnore: true);
                    transaction.Commit();
                }
                var backup = LegacyBackupOf(_legacyFile);
                if (File.Exists(backup)) backup += "-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
                File.Move(_legacyFile, backup);
                OwnerOnly.Apply(backup);
                notes.Add($"moved {moved} chat session(s) from {_legacyFile} into {_databaseFile}; the old file is kept as {backup}");
            }

            var expired = 0;
            foreach (var user in UsersOverCap()) expired += ExpireIdle(user, Count(user) - _maxPerUser);
            if (expired > 0) notes.Add($"expired {expired} idle chat session(s) beyond PW_MAX_SESSIONS_PER_USER={_maxPerUser}");
            return notes.Count == 0 ? null : "patchwire-agent: " + string.Join("; ", notes) + ".";
        }
    }

    public ChatSession? Get(string user, string uuid)
    {
        lock (_gate) return Query("SELECT * FROM chat_sessions WHERE user = $user AND uuid = $uuid", ("$user", user), ("$uuid", uuid)).FirstOrDefault();
    }

    /// <summary>One user's sessions, oldest first.</summary>
    public IReadOnlyList<ChatSession> ListOf(string user)
    {
        lock (_gate) return Query("SELECT * FROM chat_sessions WHERE user = $user ORDER BY created_ms, uuid", ("$user", user));
    }

    /// <summary>
    /// Marks the session's next turn as in flight (creating the session on its first turn, expiring the user's
    /// longest-idle session when that would pass the cap) and returns the session as the turn starts; refuses a
    /// second concurrent turn, a turn for another project, or a new session when every kept one is busy.
    /// </summary>
    public (ChatSession? Session, TurnRefusal Refusal) BeginTurn(string user, string uuid, string project)
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            using var transaction = Connection.BeginTransaction();
            var session = Query("SELECT * FROM chat_sessions WHERE user = $user AND uuid = $uuid", ("$user", user), ("$uuid", uuid)).FirstOrDefault();
            if (session is not null)
            {
                if (session.Status == ChatSessionStatus.InFlight) return (session, TurnRefusal.InFlight);
                if (!string.Equals(session.Project, project, StringComparison.Ordinal)) return (session, TurnRefusal.OtherProject);
            }
            else
            {
                var excess = Count(user) - _maxPerUser + 1;
                if (excess > 0 && ExpireIdle(user, excess) < excess) return (null, TurnRefusal.TooManySessions);
                session = new ChatSession { Uuid = uuid, User = user, Project = project, CreatedAt = now };
                Insert(session, orIgnore: false);
            }
            session.Status = ChatSessionStatus.InFlight;
            session.StartedAt = now;
            session.LastActiveAt = now;
            session.DurationMs = 0;
            session.ErrorMessage = null;
            Update(session);
            transaction.Commit();
            return (session, TurnRefusal.None);
        }
    }

    /// <summary>The turn finished: the AI's session id to resume next time (kept when the AI reported none), tokens added.</summary>
    public void CompleteTurn(string user, string uuid, string? aiSessionId, long tokensIn, long tokensOut, long durationMs) =>
        Change(user, uuid, session =>
        {
            session.Status = ChatSessionStatus.Done;
            session.TurnCount++;
            if (!string.IsNullOrEmpty(aiSessionId)) session.AiSessionId = aiSessionId;
            session.TokensIn += tokensIn;
            session.TokensOut += tokensOut;
            session.DurationMs = durationMs;
            session.ErrorMessage = null;
        });

    /// <summary>
    /// The turn failed. The AI session id is left as it was before the turn: its changes were discarded, so resuming
    /// a conversation in which the AI believes it made them would mislead it. <paramref name="forgetAiSession"/> drops it
    /// instead, when the AI said it no longer knows that session, so the next turn starts a new conversation.
    /// </summary>
    public void FailTurn(string user, string uuid, string message, long durationMs, bool forgetAiSession = false) =>
        Change(user, uuid, session =>
        {
            if (forgetAiSession) session.AiSessionId = null;
            session.Status = ChatSessionStatus.Error;
            session.ErrorMessage = message;
            session.DurationMs = durationMs;
        });

    /// <summary>Removes a session; false when it does not exist, or (with <paramref name="inFlight"/> true) has a turn running.</summary>
    public bool Remove(string user, string uuid, out bool inFlight)
    {
        lock (_gate)
        {
            inFlight = false;
            var session = Query("SELECT * FROM chat_sessions WHERE user = $user AND uuid = $uuid", ("$user", user), ("$uuid", uuid)).FirstOrDefault();
            if (session is null) return false;
            if (session.Status == ChatSessionStatus.InFlight) { inFlight = true; return false; }
            Execute("DELETE FROM chat_sessions WHERE user = $user AND uuid = $uuid", ("$user", user), ("$uuid", uuid));
            return true;
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

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("The chat session store is not open.");

    /// <summary>A turn's end is written even if that fails: the user is waiting on the turn, and the next start marks a turn left in flight as failed.</summary>
    private void Change(string user, string uuid, Action<ChatSession> change)
    {
        lock (_gate)
        {
            try
            {
                var session = Query("SELECT * FROM chat_sessions WHERE user = $user AND uuid = $uuid", ("$user", user), ("$uuid", uuid)).FirstOrDefault();
                if (session is null) return; // deleted (or expired) meanwhile: nothing left to settle
                change(session);
                session.LastActiveAt = DateTimeOffset.UtcNow;
                Update(session);
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException) // a full disk; the store closed at shutdown
            {
                _log.LogError("Could not save chat session {Uuid} of {User} in {Path}: {Message}", uuid, user, _databaseFile, ex.Message);
            }
        }
    }

    /// <summary>Deletes up to <paramref name="count"/> of the user's sessions that have no turn in flight, longest idle first; returns how many.</summary>
    private int ExpireIdle(string user, int count)
    {
        if (count <= 0) return 0;
        var removed = Execute("""
            DELETE FROM chat_sessions WHERE rowid IN (
                SELECT rowid FROM chat_sessions WHERE user = $user AND status != $inFlight ORDER BY active_ms, created_ms LIMIT $count)
            """, ("$user", user), ("$inFlight", ChatSessionStatus.InFlight), ("$count", count));
        if (removed > 0) _log.LogInformation("Expired {Count} idle chat session(s) of {User} (PW_MAX_SESSIONS_PER_USER={Max})", removed, user, _maxPerUser);
        return removed;
    }

    private int Count(string user)
    {
        using var command = Command("SELECT COUNT(*) FROM chat_sessions WHERE user = $user", ("$user", user));
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private List<string> UsersOverCap()
    {
        using var command = Command("SELECT user FROM chat_sessions GROUP BY user HAVING COUNT(*) > $max", ("$max", _maxPerUser));
        using var reader = command.ExecuteReader();
        var users = new List<string>();
        while (reader.Read()) users.Add(reader.GetString(0));
        return users;
    }

    private int Insert(ChatSession s, bool orIgnore) =>
        Execute($"""
            INSERT {(orIgnore ? "OR IGNORE " : "")}INTO chat_sessions (user, uuid, project, ai_session_id, turn_count, status, created_ms,
                started_ms, active_ms, tokens_in, tokens_out, duration_ms, error_message)
            VALUES ($user, $uuid, $project, $ai, $turns, $status, $created, $started, $active, $in, $out, $duration, $error)
            """, Row(s));

    private void Update(ChatSession s) =>
        Execute("""
            UPDATE chat_sessions SET project = $project, ai_session_id = $ai, turn_count = $turns, status = $status,
                created_ms = $created, started_ms = $started, active_ms = $active, tokens_in = $in, tokens_out = $out,
                duration_ms = $duration, error_message = $error
            WHERE user = $user AND uuid = $uuid
            """, Row(s));

    private static (string, object?)[] Row(ChatSession s) => new (string, object?)[]
    {
        ("$user", s.User), ("$uuid", s.Uuid), ("$project", s.Project), ("$ai", s.AiSessionId), ("$turns", s.TurnCount),
        ("$status", s.Status), ("$created", s.CreatedAt.ToUnixTimeMilliseconds()), ("$started", s.StartedAt.ToUnixTimeMilliseconds()),
        ("$active", s.LastActiveAt.ToUnixTimeMilliseconds()), ("$in", s.TokensIn), ("$out", s.TokensOut),
        ("$duration", s.DurationMs), ("$error", s.ErrorMessage),
    };

    private List<ChatSession> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var sessions = new List<ChatSession>();
        while (reader.Read())
        {
            string? Text(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
            long Number(string column) => reader.GetInt64(reader.GetOrdinal(column));
            sessions.Add(new ChatSession
            {
                User = Text("user")!,
                Uuid = Text("uuid")!,
                Project = Text("project")!,
                AiSessionId = Text("ai_session_id"),
                TurnCount = (int)Number("turn_count"),
                Status = Text("status")!,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Number("created_ms")),
                StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(Number("started_ms")),
                LastActiveAt = DateTimeOffset.FromUnixTimeMilliseconds(Number("active_ms")),
                TokensIn = Number("tokens_in"),
                TokensOut = Number("tokens_out"),
                DurationMs = Number("duration_ms"),
                ErrorMessage = Text("error_message"),
            });
        }
        return sessions;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>
    /// The sessions of an old agent-sessions.json (<c>{"version":1,"sessions":[…]}</c>), normalised: entries without a
    /// valid uuid or user are dropped, a turn left in flight is failed.
    /// </summary>
    private static List<ChatSession> ReadLegacy(string path)
    {
        LegacyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<LegacyFile>(File.ReadAllText(path), LegacyJson);
            if (file?.Sessions is null) throw new JsonException("it has no 'sessions' list");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(
                $"{path} is not a chat sessions file this agent can read ({ex.Message.ReplaceLineEndings(" ")}). Nothing was changed. " +
                "Repair it, or move it away to start without those sessions.");
        }
        var sessions = new List<ChatSession>();
        foreach (var session in file.Sessions)
        {
            if (session is null || !ChatRequest.IsUuid(session.Uuid) || string.IsNullOrEmpty(session.User) || string.IsNullOrEmpty(session.Project)) continue;
            session.Uuid = session.Uuid.ToLowerInvariant();
            if (session.Status is not (ChatSessionStatus.Done or ChatSessionStatus.Error))
            {
                session.Status = ChatSessionStatus.Error;
                session.ErrorMessage = InterruptedMessage;
            }
            if (session.StartedAt == default) session.StartedAt = session.CreatedAt;
            if (session.LastActiveAt == default) session.LastActiveAt = session.StartedAt > session.CreatedAt ? session.StartedAt : session.CreatedAt;
            sessions.Add(session);
        }
        return sessions;
    }

    private sealed class LegacyFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("sessions")] public List<ChatSession?>? Sessions { get; set; }
    }
}
