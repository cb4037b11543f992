using Patchwire.Agent.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>
/// One-time upgrade from the single-token agent: with no registry and PW_AGENT_TOKEN set, the token becomes
/// user 'default' and every top-level checkout moves under default/. Checkouts move first and the registry is
/// written last, so a crash part-way is finished by the next start.
/// </summary>
public static class LegacyTokenMigration
{
    public const string DefaultUser = "default";

    /// <returns>The line to log, or null when there was nothing to migrate.</returns>
    public static string? Run(AgentOptions options, UserRegistry registry)
    {
        if (options.LegacyToken is null || registry.Exists) return null;

        var root = options.ProjectsRoot;
        var target = Path.Combine(root, DefaultUser);
        var checkouts = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Where(d => Path.Combine(d, ".git") is var git && (Directory.Exists(git) || File.Exists(git)))
                .Where(d => !string.Equals(Path.GetFileName(d), DefaultUser, StringComparison.Ordinal))
                .OrderBy(d => d, StringComparer.Ordinal)
                .ToList()
            : new List<string>();

        var defaultIsCheckout = Directory.Exists(Path.Combine(target, ".git")) || File.Exists(Path.Combine(target, ".git"));
        var clashes = checkouts.Where(d => Directory.Exists(Path.Combine(target, Path.GetFileName(d))) || File.Exists(Path.Combine(target, Path.GetFileName(d)))).ToList();
        if (defaultIsCheckout || clashes.Count > 0)
        {
            var names = defaultIsCheckout ? $"'{DefaultUser}' is itself a checkout" : "already present under default/: " + string.Join(", ", clashes.Select(Path.GetFileName));
            throw new ConfigurationException(
                $"PW_AGENT_TOKEN migration refused: {names} in {root}. Nothing was moved; rename or remove the clashing folders, then start again.");
        }

        Directory.CreateDirectory(target);
        foreach (var checkout in checkouts)
            Directory.Move(checkout, Path.Combine(target, Path.GetFileName(checkout)));

        registry.CreateIfMissing(new UserRecord
        {
            Name = DefaultUser,
            TokenSha256 = Tokens.Hash(options.LegacyToken),
            CreatedAt = DateTimeOffset.UtcNow,
        });
        return $"patchwire-agent: migrated PW_AGENT_TOKEN to user '{DefaultUser}' and moved {checkouts.Count} checkout(s) under {target}";
    }
}
