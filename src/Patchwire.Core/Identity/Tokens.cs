using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Patchwire.Core.Identity;

/// <summary>Bearer tokens: made, checked and hashed here only.</summary>
public static class Tokens
{
    public const string Prefix = "pw_";
    // An admin-supplied token (for example a legacy one) need not carry the prefix, but it must be long and printable.
    private static readonly Regex Acceptable = new("^[\\x21-\\x7e]{16,512}$", RegexOptions.CultureInvariant);

    public static string Generate()
    {
        var bytes = new byte[32];
        using (var rng = RandomNumberGenerator.Create())
            rng.GetBytes(bytes);
        return Prefix + ToHex(bytes);
    }

    /// <summary>Returns null when an admin-supplied token can be used, else why not (never echoing the token).</summary>
    public static string? CheckSupplied(string? token)
    {
        if (string.IsNullOrEmpty(token)) return "The token is empty.";
        if (!Acceptable.IsMatch(token!)) return "A supplied token must be 16 to 512 printable ASCII characters without spaces (for example pw_ and 64 hex digits).";
        return null;
    }

    public static string Hash(string token)
    {
        using var sha = SHA256.Create();
        return ToHex(sha.ComputeHash(Encoding.UTF8.GetBytes(token)));
    }

    public static string ToHex(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes) sb.Append(b.ToString("x2"));
        return sb.ToString();
    }
}
