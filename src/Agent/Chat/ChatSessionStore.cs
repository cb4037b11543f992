using System.Text.Json;
using System.Text.Json.Serialization;
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
}

/// <summary>
/// The sessions of all users, kept in memory and written to $PW_HOME/agent-sessions.json (owner-only, replaced
/// atomically) on every change, so they survive an agent restart. At most one turn per session at a time.
/// </summary>
public sealed class ChatSessionStore
{
    private const int FormatVersion = 1;
    private readonly object _gate = new();
    private readonly Dictionary<(string User, string Uuid), ChatSession> _sessions = new();
    private readonly string _path;
    private readonly ILogger<ChatSessionStore> _log;

    private static readonly JsonSerializerOptions FileJson = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public ChatSessionStore(AgentOptions options, ILogger<ChatSessionStore> log)
    {
        _path = options.SessionsFile;
        _log = log;
    }

    /// <summary>
    /// Reads the file (at start, before the port opens). A turn the file still shows in flight was cut short by a crash
    /// or kill; it is marked as failed so the session can go on. An unreadable file is set aside, not fatal: losing
    /// conversation history must not keep the whole team from working.
    /// </summary>
    public string? Load()
    {
        lock (_gate)
        {
            _sessions.Clear();
            if (!File.Exists(_path)) return null;
            SessionsFile? file;
            try
            {
                file = JsonSerializer.Deserialize<SessionsFile>(File.ReadAllText(_path), FileJson);
                if (file?.Sessions is null) throw new JsonException("no 'sessions' list");
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                var aside = _path + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
                File.Move(_path, aside);
                return $"patchwire-agent: {_path} was unreadable ({ex.Message}); moved it to {aside} and started with no chat sessions.";
            }
            var interrupted = 0;
            foreach (var session in file.Sessions)
            {
                if (session is null || !ChatRequest.IsUuid(session.Uuid) || string.IsNullOrEmpty(session.User)) continue;
                session.Uuid = session.Uuid.ToLowerInvariant();
                if (session.Status == ChatSessionStatus.InFlight)
                {
                    session.Status = ChatSessionStatus.Error;
                    session.ErrorMessage = "The agent stopped during this turn; its changes were discarded. Send the turn again.";
                    interrupted++;
                }
                _sessions[(session.User, session.Uuid)] = session;
            }
            if (interrupted > 0) Save();
            return null;
        }
    }

    public ChatSession? Get(string user, string uuid)
    {
        lock (_gate) return _sessions.TryGetValue((user, uuid), out var s) ? s.Copy() : null;
    }

    /// <summary>Copies of one user's sessions, oldest first.</summary>
    public IReadOnlyList<ChatSession> ListOf(string user)
    {
        lock (_gate) return _sessions.Values.Where(s => s.User == user).OrderBy(s => s.CreatedAt).Select(s => s.Copy()).ToList();
    }

    /// <summary>
    /// Marks the session's next turn as in flight (creating the session on its first turn) and returns a copy of
    /// the session as the turn starts; refuses a second concurrent turn or a turn for another project.
    /// </summary>
    public (ChatSession? Session, TurnRefusal Refusal) BeginTurn(string user, string uuid, string project)
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            if (_sessions.TryGetValue((user, uuid), out var session))
            {
                if (session.Status == ChatSessionStatus.InFlight) return (session.Copy(), TurnRefusal.InFlight);
                if (!string.Equals(session.Project, project, StringComparison.Ordinal)) return (session.Copy(), TurnRefusal.OtherProject);
            }
            else
            {
                session = new ChatSession { Uuid = uuid, User = user, Project = project, CreatedAt = now };
                _sessions[(user, uuid)] = session;
            }
            session.Status = ChatSessionStatus.InFlight;
            session.StartedAt = now;
            session.DurationMs = 0;
            session.ErrorMessage = null;
            TrySave();
            return (session.Copy(), TurnRefusal.None);
        }
    }

    /// <summary>The turn finished: the AI's session id to resume next time (kept when the AI reported none), tokens added.</summary>
    public ChatSession CompleteTurn(string user, string uuid, string? aiSessionId, long tokensIn, long tokensOut, long durationMs)
    {
        lock (_gate)
        {
            var session = _sessions[(user, uuid)];
            session.Status = ChatSessionStatus.Done;
            session.TurnCount++;
            if (!string.IsNullOrEmpty(aiSessionId)) session.AiSessionId = aiSessionId;
            session.TokensIn += tokensIn;
            session.TokensOut += tokensOut;
            session.DurationMs = durationMs;
            session.ErrorMessage = null;
            TrySave();
            return session.Copy();
        }
    }

    /// <summary>
    /// The turn failed. The AI session id is left as it was before the turn: its changes were discarded, so resuming
    /// a conversation in which the AI believes it made them would mislead it. <paramref name="forgetAiSession"/> drops it
    /// instead, when the AI said it no longer knows that session, so the next turn starts a new conversation.
    /// </summary>
    public ChatSession FailTurn(string user, string uuid, string message, long durationMs, bool forgetAiSession = false)
    {
        lock (_gate)
        {
            var session = _sessions[(user, uuid)];
            if (forgetAiSession) session.AiSessionId = null;
            session.Status = ChatSessionStatus.Error;
            session.ErrorMessage = message;
            session.DurationMs = durationMs;
            TrySave();
            return session.Copy();
        }
    }

    /// <summary>Removes a session; false when it does not exist, or (with <paramref name="inFlight"/> true) has a turn running.</summary>
    public bool Remove(string user, string uuid, out bool inFlight)
    {
        lock (_gate)
        {
            inFlight = false;
            if (!_sessions.TryGetValue((user, uuid), out var session)) return false;
            if (session.Status == ChatSessionStatus.InFlight) { inFlight = true; return false; }
            _sessions.Remove((user, uuid));
            Save();
            return true;
        }
    }

    private void TrySave()
    {
        // A failed write (disk full) must not fail a turn the user is waiting on; the next change writes everything again.
        try { Save(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogError("Could not write {Path}: {Message}", _path, ex.Message);
        }
    }

    private void Save()
    {
        var file = new SessionsFile
        {
            Version = FormatVersion,
            Sessions = _sessions.Values.OrderBy(s => s.User, StringComparer.Ordinal).ThenBy(s => s.CreatedAt).ToList(),
        };
        AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(file, FileJson) + "\n", ownerOnly: true);
    }

    private sealed class SessionsFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("sessions")] public List<ChatSession>? Sessions { get; set; }
    }
}
