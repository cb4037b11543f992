namespace Patchwire.Agent.Checkouts;

/// <summary>
/// Whose file-name rules the agent holds project names, checkouts and snapshot paths to. Windows and macOS file
/// systems ignore case (so 'App' and 'app' are one folder and must be one lock); Windows also refuses reserved device
/// names, some characters and a trailing dot or space. The agent's own OS by default; PW_NAME_RULES picks another
/// (tests use it to exercise the Windows rules on Linux).
/// </summary>
public enum NamePlatform
{
    Linux,
    MacOS,
    Windows,
}

public static class NamePlatforms
{
    public const string Variable = "PW_NAME_RULES";

    public static NamePlatform Current { get; } =
        OperatingSystem.IsWindows() ? NamePlatform.Windows : OperatingSystem.IsMacOS() ? NamePlatform.MacOS : NamePlatform.Linux;

    public static bool IgnoresCase(this NamePlatform platform) => platform != NamePlatform.Linux;

    /// <summary>How two names (or paths) are compared: the same comparer keys folders, locks and lookups.</summary>
    public static StringComparer NameComparer(this NamePlatform platform) =>
        platform.IgnoresCase() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    public static StringComparison NameComparison(this NamePlatform platform) =>
        platform.IgnoresCase() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>'windows', 'macos' or 'linux' (any case); null for anything else.</summary>
    public static NamePlatform? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "windows" => NamePlatform.Windows,
        "macos" => NamePlatform.MacOS,
        "linux" => NamePlatform.Linux,
        _ => null,
    };
}
