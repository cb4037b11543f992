using System.Globalization;
using System.Text.Json;

namespace Patchwire.Core.Identity;

/// <summary>
/// Reads the registry of upstream Patchwire 0.2/0.3: one JSON object keyed by user name,
/// <c>{"ana": {"tokenHash": "…", "createdAt": "…", "disabled": false, "lastSeen": null, "policy": {…}}}</c>.
/// Upstream stores the SHA-256 hex of the token text, as we do, so a converted entry keeps its token.
/// </summary>
public static class UpstreamRegistry
{
    public const string ReservedAdminKey = "__admin__";

    /// <summary>True when <paramref name="text"/> is upstream's shape: a JSON object with no "users" array whose every value is an object.</summary>
    public static bool Recognise(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
            return Recognise(doc.RootElement);
        }
        catch (JsonException) { return false; }
    }

    private static bool Recognise(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return false;
        if (root.TryGetProperty("users", out var users) && users.ValueKind == JsonValueKind.Array) return false;
        return root.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Object);
    }

    public sealed class Conversion
    {
        public List<UserRecord> Users { get; } = new();
        /// <summary>One sentence per entry that was skipped or changed, naming it (never a token or hash).</summary>
        public List<string> Notes { get; } = new();
    }

    /// <summary>Converts an upstream registry (already <see cref="Recognise(string)"/>d); entries we cannot take are skipped with a note.</summary>
    public static Conversion Convert(string text, DateTimeOffset now)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
        var result = new Conversion();
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            var name = entry.Name;
            var shown = Printable(name);
            if (name == ReservedAdminKey)
            {
                result.Notes.Add($"skipped '{ReservedAdminKey}': upstream's reserved admin entry has no counterpart here (the admin uses the cmdlets on the box)");
                continue;
            }
            var nameProblem = NameRules.Check(name, "user name");
            if (nameProblem is not null)
            {
                result.Notes.Add($"skipped user '{shown}': {nameProblem}");
                continue;
            }
            var body = entry.Value;
            if (!body.TryGetProperty("tokenHash", out var hashElement) || hashElement.ValueKind != JsonValueKind.String)
            {
                result.Notes.Add($"skipped user '{shown}': it has no tokenHash, so no token could ever authenticate as it; add it again with New-PatchwireUser");
                continue;
            }
            var hash = hashElement.GetString()!.Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit))
            {
                result.Notes.Add($"skipped user '{shown}': its tokenHash is not a SHA-256 hex digest; add it again with New-PatchwireUser");
                continue;
            }
            if (result.Users.Any(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                result.Notes.Add($"skipped user '{shown}': a user whose name differs only in case was imported already");
                continue;
            }
            if (result.Users.Any(u => u.TokenSha256 == hash))
            {
                result.Notes.Add($"skipped user '{shown}': it shares its token with a user imported already");
                continue;
            }
            var record = new UserRecord
            {
                Name = name,
                TokenSha256 = hash,
                CreatedAt = ReadTime(body, "createdAt") ?? now,
                Disabled = body.TryGetProperty("disabled", out var disabled) && disabled.ValueKind == JsonValueKind.True,
                LastSeen = ReadTime(body, "lastSeen"),
            };
            if (body.TryGetProperty("policy", out var policy) && policy.ValueKind == JsonValueKind.Object)
                record.Policy = ReadPolicy(policy, shown, result.Notes);
            result.Users.Add(record);
        }
        return result;
    }

    /// <summary>
    /// Upstream's policy: <c>projects</c> (or <c>allowedProjects</c>) a list of names or wildcard patterns, and
    /// <c>rateLimit</c> with <c>max</c> and a window as <c>windowSec</c>, <c>windowMs</c> or <c>window</c> ("1h").
    /// A part we cannot read is dropped with a note; the rest of the user is still imported.
    /// </summary>
    private static UserPolicy? ReadPolicy(JsonElement policy, string user, List<string> notes)
    {
        var result = new UserPolicy();
        JsonElement projects = default;
        var hasProjects = policy.TryGetProperty("projects", out projects) || policy.TryGetProperty("allowedProjects", out projects);
        if (hasProjects && projects.ValueKind == JsonValueKind.Array)
        {
            var patterns = projects.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!).ToList();
            var bad = patterns.FirstOrDefault(p => ProjectPattern.Check(p) is not null);
            if (bad is not null || patterns.Count != projects.GetArrayLength())
                notes.Add($"user '{user}': dropped its project allowlist ({(bad is null ? "an entry is not a string" : ProjectPattern.Check(bad))}); the user may use every project until Set-PatchwireUserPolicy sets one");
            else
                result.Projects = patterns;
        }
        else if (hasProjects && projects.ValueKind != JsonValueKind.Null)
            notes.Add($"user '{user}': dropped its project allowlist (not a list)");

        if (policy.TryGetProperty("rateLimit", out var rate) && rate.ValueKind == JsonValueKind.Object)
        {
            var limit = new RateLimitPolicy
            {
                Max = rate.TryGetProperty("max", out var max) && max.TryGetInt32(out var m) ? m : 0,
                WindowSec = ReadWindowSeconds(rate) ?? 0,
            };
            if (limit.Check() is { } problem)
                notes.Add($"user '{user}': dropped its rate limit ({problem})");
            else
                result.RateLimit = limit;
        }
        return result.IsEmpty ? null : result;
    }

    private static long? ReadWindowSeconds(JsonElement rate)
    {
        if (rate.TryGetProperty("windowSec", out var sec) && sec.TryGetDouble(out var s)) return (long)s;
        if (rate.TryGetProperty("windowMs", out var ms) && ms.TryGetDouble(out var milli)) return (long)(milli / 1000);
        if (rate.TryGetProperty("window", out var window))
        {
            if (window.ValueKind == JsonValueKind.Number && window.TryGetDouble(out var w)) return (long)w;
            if (window.ValueKind == JsonValueKind.String) return PolicyDuration.TryParseSeconds(window.GetString(), out _);
        }
        return null;
    }

    /// <summary>An ISO 8601 string or epoch milliseconds (what JavaScript's Date.now() gives).</summary>
    private static DateTimeOffset? ReadTime(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.String &&
            DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at.ToUniversalTime();
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms) && ms > 0 && ms < 253402300799999)
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return null;
    }

    private static string Printable(string s)
    {
        var clipped = s.Length > 80 ? s.Substring(0, 80) + "…" : s;
        return new string(clipped.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
