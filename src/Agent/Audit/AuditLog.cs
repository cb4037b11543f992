using Patchwire.Core.Audit;

namespace Patchwire.Agent.Audit;

/// <summary>The agent's audit log: one JSON line per successful /ask or /chat turn (SPEC §9).</summary>
public sealed class AuditLog
{
    /// <summary>Appends one line. Placeholder until the paper-trail issue lands: it writes nothing yet.</summary>
    public void Append(AuditEntry entry)
    {
    }
}
