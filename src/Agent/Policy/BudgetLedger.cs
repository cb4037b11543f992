using Patchwire.Agent.Configuration;
using Patchwire.Core.Audit;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Policy;

/// <summary>
/// What a user spent in a budget window, summed from the audit log's tokens_in, tokens_out and cost_usd (the same
/// lines Get-PatchwireUsage reads). A sum is reused until the log changes, so requests between turns cost one stat.
/// </summary>
public sealed class BudgetLedger(AgentOptions options)
{
    public sealed record Spent(long Tokens, decimal CostUsd);

    private readonly object _gate = new();
    private readonly Dictionary<(string User, DateTimeOffset Start), (long Length, DateTime Stamp, Spent Spent)> _cache = new();

    public Spent SpentSince(string user, DateTimeOffset windowStart)
    {
        var info = new FileInfo(options.AuditLog);
        var (length, stamp) = info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1L, DateTime.MinValue);
        lock (_gate)
        {
            if (_cache.TryGetValue((user, windowStart), out var hit) && hit.Length == length && hit.Stamp == stamp) return hit.Spent;
        }
        var totals = new UsageTotals();
        var reader = new AuditReader(options.AuditLog);
        if (reader.Exists)
        {
            var query = new AuditQuery
            {
                User = new AuditTextFilter(u => string.Equals(u, user, StringComparison.Ordinal), user, exact: true),
                Since = windowStart,
                Limit = 0,
            };
            foreach (var record in reader.Read(query)) totals.Add(record.Entry);
        }
        var spent = new Spent(totals.Tokens, totals.CostUsd);
        lock (_gate)
        {
            if (_cache.Count > 1000) _cache.Clear();
            _cache[(user, windowStart)] = (length, stamp, spent);
        }
        return spent;
    }
}
