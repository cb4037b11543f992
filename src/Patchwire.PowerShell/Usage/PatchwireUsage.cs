using Patchwire.Core.Audit;

namespace Patchwire.PowerShell.Usage;

public enum UsageGrouping { User, Project, Day }

/// <summary>What one user, project or day (UTC) used, summed from the audit log.</summary>
public sealed class PatchwireUsage
{
    public UsageGrouping GroupBy { get; set; }
    /// <summary>The user, the project, or the day as yyyy-MM-dd (UTC).</summary>
    public string Name { get; set; } = "";
    public long Requests { get; set; }
    public long Asks { get; set; }
    public long Chats { get; set; }
    public long LinesAdded { get; set; }
    public long LinesRemoved { get; set; }
    public long TokensIn { get; set; }
    public long TokensOut { get; set; }
    public long Tokens => TokensIn + TokensOut;
    public decimal CostUsd { get; set; }
    public TimeSpan Duration { get; set; }
    public DateTime? First { get; set; }
    public DateTime? Last { get; set; }

    internal static PatchwireUsage From(UsageGrouping groupBy, string name, UsageTotals t) => new()
    {
        GroupBy = groupBy,
        Name = name,
        Requests = t.Requests,
        Asks = t.Asks,
        Chats = t.Chats,
        LinesAdded = t.LinesAdded,
        LinesRemoved = t.LinesRemoved,
        TokensIn = t.TokensIn,
        TokensOut = t.TokensOut,
        CostUsd = Math.Round(t.CostUsd, 6),
        Duration = TimeSpan.FromMilliseconds(t.DurationMs),
        First = t.First?.UtcDateTime,
        Last = t.Last?.UtcDateTime,
    };

    internal static string KeyOf(UsageGrouping groupBy, AuditEntry e) => groupBy switch
    {
        UsageGrouping.Project => e.Project,
        UsageGrouping.Day => e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        _ => e.User,
    };

    public override string ToString() => $"{Name}: {Requests} requests, {Tokens} tokens, ${CostUsd:0.00}";
}

/// <summary>Reads the audit log through the Core reader and sums it per group; shared by Get-PatchwireUsage and 'patchwire-agent usage'.</summary>
internal static class UsageReport
{
    public static List<PatchwireUsage> Build(AuditReader reader, AuditQuery query, UsageGrouping groupBy)
    {
        var groups = new Dictionary<string, UsageTotals>(StringComparer.Ordinal);
        foreach (var record in reader.Read(query))
        {
            var key = PatchwireUsage.KeyOf(groupBy, record.Entry);
            if (!groups.TryGetValue(key, out var totals)) groups[key] = totals = new UsageTotals();
            totals.Add(record.Entry);
        }
        return groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => PatchwireUsage.From(groupBy, g.Key, g.Value)).ToList();
    }
}
