using System.Text.RegularExpressions;

namespace Patchwire.Core.Identity;

/// <summary>The one rule for user and project names: they become folder names on the box.</summary>
public static class NameRules
{
    public const int MaxLength = 64;

    private static readonly Regex Allowed = new("^[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant);

    // Windows refuses these as file names whatever the extension, so a checkout named CON could never be created there.
    private static readonly HashSet<string> ReservedDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>Returns null when <paramref name="name"/> is valid, else a sentence saying why not.</summary>
    public static string? Check(string? name, string what = "name")
    {
        if (string.IsNullOrEmpty(name))
            return $"The {what} is empty.";
        if (name!.Length > MaxLength)
            return $"The {what} is {name.Length} characters long; the limit is {MaxLength}.";
        if (!Allowed.IsMatch(name))
            return name[name.Length - 1] is ' ' or '\t'
                ? $"The {what} '{Printable(name)}' ends with a space; names may not end with a space (Windows cannot keep it in a folder name), and may contain only letters, digits, '_', '.' and '-'."
                : $"The {what} '{Printable(name)}' may contain only letters, digits, '_', '.' and '-'.";
        // ".", "..", and hidden names such as .git or .claude, which tools on the box treat as their own.
        if (name[0] == '.')
            return $"The {what} '{name}' starts with '.'; names may not start with a dot.";
        // Windows drops a trailing dot from a folder name: 'app.' would be the folder 'app' there, under another lock.
        if (name[name.Length - 1] == '.')
            return $"The {what} '{name}' ends with '.'; names may not end with a dot (Windows cannot keep it in a folder name).";
        var stem = name.Split('.')[0];
        if (ReservedDeviceNames.Contains(stem))
            return $"The {what} '{name}' is a reserved device name on Windows.";
        return null;
    }

    private static string Printable(string s)
    {
        var chars = s.Select(c => char.IsControl(c) ? '?' : c).ToArray();
        return new string(chars);
    }
}
