using System.Globalization;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Identity;

/// <summary>Who the agent says the configured token belongs to (GET /me).</summary>
public sealed class PatchwireIdentity
{
    public string User { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? LastSeen { get; set; }
    /// <summary>The agent that answered.</summary>
    public string AgentUrl { get; set; } = "";
    public override string ToString() => User;
}

internal static class IdentityClient
{
    public static async Task<PatchwireIdentity> GetAsync(ClientSettings settings, CancellationToken cancellationToken)
    {
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(30));
        using var doc = await client.GetJsonAsync(Routes.Me, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.String)
            throw new AgentClientException($"The agent at {settings.AgentUrl} answered GET /me without a user; is it a Patchwire agent?");
        return new PatchwireIdentity
        {
            User = user.GetString()!,
            Disabled = root.TryGetProperty("disabled", out var d) && d.ValueKind == JsonValueKind.True,
            CreatedAt = Time(root, "createdAt"),
            LastSeen = Time(root, "lastSeen"),
            AgentUrl = settings.AgentUrl,
        };
    }

    private static DateTimeOffset? Time(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms)) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return value.ValueKind == JsonValueKind.String
               && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
            ? time
            : null;
    }

    /// <summary>'whoami --json': upstream's /me fields plus agentUrl, times in ISO 8601 UTC.</summary>
    public static object Json(PatchwireIdentity identity) => new
    {
        user = identity.User,
        disabled = identity.Disabled,
        createdAt = identity.CreatedAt?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture),
        lastSeen = identity.LastSeen?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture),
        agentUrl = identity.AgentUrl,
    };
}
