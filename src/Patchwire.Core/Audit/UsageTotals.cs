namespace Patchwire.Core.Audit;

/// <summary>Sums of audit lines: what a user, a project or a day used. Missing fields count as 0.</summary>
public sealed class UsageTotals
{
    public long Requests { get; private set; }
    public long Asks { get; private set; }
    public long Chats { get; private set; }
    public long LinesAdded { get; private set; }
    public long LinesRemoved { get; private set; }
    public long TokensIn { get; private set; }
    public long TokensOut { get; private set; }
    public long Tokens => TokensIn + TokensOut;
    public decimal CostUsd { get; private set; }
    public long DurationMs { get; private set; }
    public DateTimeOffset? First { get; private set; }
    public DateTimeOffset? Last { get; private set; }

    public void Add(AuditEntry entry)
    {
        Requests++;
        if (entry.Route == AuditEntry.AskRoute) Asks++;
        else if (entry.Route == AuditEntry.ChatRoute) Chats++;
        LinesAdded += entry.LinesAdded ?? 0;
        LinesRemoved += entry.LinesRemoved ?? 0;
        TokensIn += entry.TokensIn ?? 0;
        TokensOut += entry.TokensOut ?? 0;
        if (entry.CostUsd is { } cost && !double.IsNaN(cost) && !double.IsInfinity(cost)) CostUsd += (decimal)cost;
        DurationMs += entry.DurationMs;
        if (First is null || entry.Timestamp < First) First = entry.Timestamp;
        if (Last is null || entry.Timestamp > Last) Last = entry.Timestamp;
    }
}
