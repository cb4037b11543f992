using Patchwire.Agent.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>
/// Resolves bearer tokens against users.json. The file is re-read whenever its size or write time changes,
/// so the admin's changes apply to the very next request; between changes a request costs one stat.
/// </summary>
public sealed class UserDirectory
{
    private readonly UserRegistry _registry;
    private readonly object _gate = new();
    private Snapshot _snapshot = new(DateTime.MinValue, -1, new Dictionary<string, UserRecord>());

    public UserDirectory(AgentOptions options) => _registry = new UserRegistry(options.UsersFile);

    public UserRegistry Registry => _registry;

    /// <summary>The user whose token this is (disabled or not), or null for an unknown token.</summary>
    public UserRecord? Find(string token) =>
        Current().ByHash.TryGetValue(Tokens.Hash(token), out var user) ? user : null;

    /// <summary>Loads the registry now; throws <see cref="RegistryException"/> if it is unreadable (used at start).</summary>
    public IReadOnlyCollection<UserRecord> LoadNow() => Current().ByHash.Values;

    private Snapshot Current()
    {
        var info = new FileInfo(_registry.Path);
        var stamp = info.Exists ? info.LastWriteTimeUtc : DateTime.MinValue;
        var length = info.Exists ? info.Length : -1;
        var snapshot = _snapshot;
        if (snapshot.Stamp == stamp && snapshot.Length == length) return snapshot;
        lock (_gate)
        {
            if (_snapshot.Stamp == stamp && _snapshot.Length == length) return _snapshot;
            IReadOnlyList<UserRecord> users;
            try { users = _registry.Load(); }
            catch (RegistryException) when (_snapshot.Length >= 0)
            {
                // A hand edit in progress left the file invalid: keep serving the last good copy rather than locking everyone out.
                return _snapshot;
            }
            var byHash = new Dictionary<string, UserRecord>(StringComparer.Ordinal);
            foreach (var u in users) byHash[u.TokenSha256] = u;
            _snapshot = new Snapshot(stamp, length, byHash);
            return _snapshot;
        }
    }

    private sealed record Snapshot(DateTime Stamp, long Length, Dictionary<string, UserRecord> ByHash);
}
