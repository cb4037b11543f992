using System.Collections.Concurrent;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Policy;

/// <summary>
/// Per-user sliding window of accepted requests, in memory (a restart starts every window afresh). Only requests it
/// lets through are recorded, so a client hammering a full window does not extend its own wait; a user's log never
/// holds more than their <c>max</c> entries.
/// </summary>
public sealed class RateLimiter(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _logs = new(StringComparer.Ordinal);

    /// <summary>Records one request when the window has room (or only checks, when <paramref name="consume"/> is false).</summary>
    /// <returns>null when allowed, else when the oldest request in the window leaves it.</returns>
    public DateTimeOffset? TryAcquire(string user, RateLimitPolicy limit, bool consume = true)
    {
        var now = clock.GetUtcNow();
        var log = _logs.GetOrAdd(user, _ => new Queue<DateTimeOffset>());
        lock (log)
        {
            var windowStart = now - limit.Window;
            while (log.Count > 0 && log.Peek() <= windowStart) log.Dequeue();
            while (log.Count > limit.Max) log.Dequeue(); // the admin lowered max: keep the newest
            if (log.Count >= limit.Max) return log.Peek() + limit.Window;
            if (consume) log.Enqueue(now);
            return null;
        }
    }
}
