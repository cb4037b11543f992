using Patchwire.Agent.Configuration;
using Patchwire.Core.Audit;

namespace Patchwire.Agent.Audit;

/// <summary>
/// The agent's audit log: one JSON line per successful /ask or /chat turn (SPEC §9), written by the shared
/// <see cref="AuditWriter"/> (whole lines under a lock, fsync'ed, rotated at PW_AUDIT_LOG_MAX_BYTES).
/// Safe to call from many requests at once. Leave <see cref="AuditEntry.Timestamp"/> unset to stamp the moment of
/// the append, and fill <see cref="AuditEntry.PromptSha256"/> with <see cref="AuditEntry.HashPrompt"/>: the prompt's
/// text never reaches this class.
/// </summary>
public sealed class AuditLog
{
    private readonly AuditWriter _writer;
    private readonly ILogger<AuditLog> _logger;

    public AuditLog(AgentOptions options, ILogger<AuditLog> logger)
    {
        _writer = new AuditWriter(options.AuditLog, options.AuditLogMaxBytes, options.AuditLogMaxFiles);
        _logger = logger;
    }

    public string Path => _writer.Path;

    /// <summary>
    /// Appends one line. A failure to write (disk full, permissions, lock timeout) is logged as an error naming the
    /// user, project and route, and returns false: the turn itself already succeeded and its result still reaches the caller.
    /// </summary>
    public bool Append(AuditEntry entry)
    {
        try
        {
            _writer.Append(entry);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Could not write the audit line for {User} {Route} {Project} to {Path}: {Message}",
                entry.User, entry.Route, entry.Project, _writer.Path, ex.Message);
            return false;
        }
    }
}
