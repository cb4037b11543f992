using System.Text.Json.Serialization;

namespace Patchwire.Core.Identity;

/// <summary>One entry of users.json. Holds the token's SHA-256, never the token.</summary>
public sealed class UserRecord
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("tokenSha256")] public string TokenSha256 { get; set; } = "";
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; set; }
    [JsonPropertyName("disabled")] public bool Disabled { get; set; }
    [JsonPropertyName("lastSeen")] public DateTimeOffset? LastSeen { get; set; }

    [JsonPropertyName("policy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UserPolicy? Policy { get; set; }

    public UserRecord Clone()
    {
        var copy = (UserRecord)MemberwiseClone();
        copy.Policy = Policy?.Clone();
        return copy;
    }
}
