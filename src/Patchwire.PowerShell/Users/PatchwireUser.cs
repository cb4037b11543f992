using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Users;

/// <summary>A user as the admin cmdlets show it (times in UTC). Tokens are never on it: see <see cref="PatchwireUserToken"/>.</summary>
public sealed class PatchwireUser
{
    public string Name { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSeen { get; set; }
    public PatchwireUserPolicy? Policy { get; set; }

    public string Status => Disabled ? "disabled" : "active";

    internal static PatchwireUser From(UserRecord record) => new()
    {
        Name = record.Name,
        Disabled = record.Disabled,
        CreatedAt = record.CreatedAt.UtcDateTime,
        LastSeen = record.LastSeen?.UtcDateTime,
        Policy = PatchwireUserPolicy.From(record),
    };

    public override string ToString() => Name;
}

/// <summary>
/// What New-PatchwireUser and Reset-PatchwireUserToken return: the user and their new token, shown this once.
/// A type of its own (not a PatchwireUser) so that its list view, with the Token, is used even when it follows a
/// table of users in the same output; a user table has no Token column and would hide it.
/// </summary>
public sealed class PatchwireUserToken
{
    public string Name { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The token in clear: the registry keeps only its SHA-256, so this is the only time it can be read.</summary>
    public string Token { get; set; } = "";

    public string Status => Disabled ? "disabled" : "active";

    internal static PatchwireUserToken From(UserRecord record, string token) => new()
    {
        Name = record.Name,
        Disabled = record.Disabled,
        CreatedAt = record.CreatedAt.UtcDateTime,
        Token = token,
    };

    public override string ToString() => Name;
}
