using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Users;

/// <summary>A user as the admin cmdlets show it. Token is set only on the object that a creation or rotation returns.</summary>
public sealed class PatchwireUser
{
    public string Name { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSeen { get; set; }
    public string? Token { get; set; }
    public PatchwireUserPolicy? Policy { get; set; }

    public string Status => Disabled ? "disabled" : "active";

    internal static PatchwireUser From(UserRecord record, string? token = null) => new()
    {
        Name = record.Name,
        Disabled = record.Disabled,
        CreatedAt = record.CreatedAt.UtcDateTime,
        LastSeen = record.LastSeen?.UtcDateTime,
        Token = token,
        Policy = PatchwireUserPolicy.From(record),
    };

    public override string ToString() => Name;
}
