using System.Collections.Concurrent;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>
/// Remembers when each user was last seen and writes those times to the registry in one locked update
/// every PW_LAST_SEEN_FLUSH_SEC and at shutdown, so requests never rewrite users.json themselves.
/// </summary>
public sealed class LastSeenTracker(UserDirectory users, AgentOptions options, ILogger<LastSeenTracker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _latest = new(StringComparer.Ordinal);

    public void Seen(string user)
    {
        var now = DateTimeOffset.UtcNow;
        _pending[user] = now;
        _latest[user] = now;
    }

    public DateTimeOffset? LastSeen(UserRecord user) =>
        _latest.TryGetValue(user.Name, out var at) && (user.LastSeen is null || at > user.LastSeen) ? at : user.LastSeen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.LastSeenFlushInterval, stoppingToken);
                Flush();
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Flush();
    }

    public void Flush()
    {
        if (_pending.IsEmpty) return;
        var batch = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var key in _pending.Keys.ToList())
            if (_pending.TryRemove(key, out var at)) batch[key] = at;
        try
        {
            users.Registry.RecordLastSeen(batch);
        }
        catch (Exception ex) when (ex is RegistryException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not record last-seen times: {Message}", ex.Message);
            foreach (var kv in batch) _pending.TryAdd(kv.Key, kv.Value);
        }
    }
}
