namespace Patchwire.Agent.Sandbox;

/// <summary>
/// The AI's environment is an allowlist, never the agent's environment minus a few names: PATH, LANG, LC_*, TERM,
/// USER, HOME (the user's private AI home) and the names the admin lists in PW_AI_ENV. Whatever else the agent
/// was started with (its token, TLS key paths, PW_HOME, cloud credentials) never reaches the AI.
/// </summary>
public static class AiEnvironment
{
    private static readonly string[] Passed = { "PATH", "LANG", "TERM", "USER", "LOGNAME", "TZ" };

    public static void Apply(IDictionary<string, string?> environment, string privateHome, IReadOnlyList<string> extraNames)
    {
        var kept = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in environment)
        {
            if (value is null) continue;
            if (Passed.Contains(key, StringComparer.Ordinal) || key.StartsWith("LC_", StringComparison.Ordinal) || extraNames.Contains(key, StringComparer.Ordinal))
                kept[key] = value;
        }
        environment.Clear();
        foreach (var (key, value) in kept) environment[key] = value;
        environment["HOME"] = privateHome;
        if (!environment.ContainsKey("PATH")) environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    }
}
