using System.Collections;
using Patchwire.Agent.Sandbox;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.Configuration;

/// <summary>Every agent setting, read from the environment and validated once at start.</summary>
public sealed class AgentOptions
{
    public required string Home { get; init; }
    public required string ProjectsRoot { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string AiBin { get; init; }
    public required IReadOnlyList<string> AiArgs { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required int MaxConcurrentTotal { get; init; }
    public required int MaxConcurrentPerUser { get; init; }
    public required string UsersFile { get; init; }
    public required string AuditLog { get; init; }
    public required long AuditLogMaxBytes { get; init; }
    public required int AuditLogMaxFiles { get; init; }
    public string? LegacyToken { get; init; }
    /// <summary>Largest request body accepted (413 beyond). PW_MAX_BODY_BYTES, default 16 MiB.</summary>
    public required long MaxBodyBytes { get; init; }
    /// <summary>Largest prompt accepted by /ask and /chat, in UTF-8 bytes (413 beyond). PW_MAX_PROMPT_BYTES, default 1 MiB.</summary>
    public long MaxPromptBytes { get; init; } = 1024 * 1024;
    /// <summary>Largest sync bundle accepted. PW_MAX_BUNDLE_BYTES, default 2 GiB.</summary>
    public required long MaxBundleBytes { get; init; }
    /// <summary>Largest total size of the files one synced snapshot may check out to (413 beyond). PW_MAX_CHECKOUT_BYTES, default 2 GiB.</summary>
    public long MaxCheckoutBytes { get; init; } = 2L * 1024 * 1024 * 1024;
    /// <summary>Most files one synced snapshot may check out (413 beyond). PW_MAX_CHECKOUT_FILES, default 200,000.</summary>
    public long MaxCheckoutFiles { get; init; } = 200_000;
    /// <summary>Repack and prune of a checkout's snapshot history at most this often per project. PW_SYNC_MAINTENANCE_SEC, default 3600.</summary>
    public TimeSpan SyncMaintenanceInterval { get; init; } = TimeSpan.FromHours(1);
    /// <summary>How often remembered last-seen times are written to the registry. PW_LAST_SEEN_FLUSH_SEC, default 60.</summary>
    public required TimeSpan LastSeenFlushInterval { get; init; }
    /// <summary>How long running runs may go on once a stop was asked for. PW_STOP_GRACE_SEC, default 20.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>A blank line is written on an idle /ask or /chat stream this often. PW_KEEPALIVE_SEC, default 15.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>PEM certificate and key (PW_TLS_CERT, PW_TLS_KEY): both set, the agent serves https.</summary>
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public bool UsesTls => TlsCertFile is not null;
    /// <summary>Open connections in all (PW_MAX_CONNECTIONS, default 4096) and from one address (PW_MAX_CONNECTIONS_PER_CLIENT, default 2048: the 1,000 waiting requests of the queue benchmark come from one address).</summary>
    public long MaxConnections { get; init; } = 4096;
    public int MaxConnectionsPerClient { get; init; } = 2048;

    /// <summary>Each /ask and /runs run works in a folder of its own (RunWorktrees), so runs on one project run side by side. PW_RUN_WORKTREES=on|off, default on.</summary>
    public bool RunWorktrees { get; init; } = true;

    /// <summary>The AI sandbox: PW_SANDBOX, PW_SANDBOX_NETWORK, PW_AI_CREDENTIALS, PW_AI_ENV (SPEC section 14).</summary>
    public SandboxSettings Sandbox { get; init; } = new();

    public string SessionsFile => Path.Combine(Home, "agent-sessions.json");
    public string StateDirectory => Path.Combine(Home, "agent-state");

    public static AgentOptions FromEnvironment(IDictionary? env = null)
    {
        env ??= Environment.GetEnvironmentVariables();
        var home = PatchwireHome.FromEnvironment(env);
        var port = Int(env, "PW_AGENT_PORT", 7878, 0, 65535);
        var aiArgsText = PatchwireHome.Get(env, "PW_AI_ARGS");
        IReadOnlyList<string> aiArgs;
        try { aiArgs = aiArgsText is null ? new[] { "--print" } : CommandLineSplitter.Split(aiArgsText); }
        catch (FormatException ex) { throw new ConfigurationException($"PW_AI_ARGS is not valid: {ex.Message}"); }
        var aiBin = PatchwireHome.Get(env, "PW_AI_BIN");
        if (aiBin is not null && aiBin.Trim().Length == 0)
            throw new ConfigurationException("PW_AI_BIN is set but empty; unset it for the default 'claude' or name the AI command.");
        var host = PatchwireHome.Get(env, "PW_AGENT_HOST");
        if (host is not null && (host.Trim().Length == 0 || host.Any(char.IsWhiteSpace) || host.Contains('/')))
            throw new ConfigurationException($"PW_AGENT_HOST '{host}' is not a host name or IP address.");
        var legacy = PatchwireHome.Get(env, "PW_AGENT_TOKEN");
        var tlsCert = PatchwireHome.Get(env, "PW_TLS_CERT");
        var tlsKey = PatchwireHome.Get(env, "PW_TLS_KEY");
        if (string.IsNullOrWhiteSpace(tlsCert)) tlsCert = null;
        if (string.IsNullOrWhiteSpace(tlsKey)) tlsKey = null;
        if (tlsCert is null && tlsKey is not null) throw new ConfigurationException("PW_TLS_CERT is not set but PW_TLS_KEY is; set both (PEM files) for https, or neither.");
        if (tlsCert is not null && tlsKey is null) throw new ConfigurationException("PW_TLS_KEY is not set but PW_TLS_CERT is; set both (PEM files) for https, or neither.");

        NotAFile("PW_HOME", home.Home);
        NotAFile("PW_PROJECTS_ROOT", home.ProjectsRoot(env));
        NotADirectory("PW_USERS_FILE", home.UsersFile(env));
        NotADirectory("PW_AUDIT_LOG", home.AuditLog(env));

        return new AgentOptions
        {
            Home = home.Home,
            ProjectsRoot = home.ProjectsRoot(env),
            Host = host ?? "127.0.0.1",
            Port = port,
            AiBin = aiBin ?? "claude",
            AiArgs = aiArgs,
            Timeout = TimeSpan.FromSeconds(Int(env, "PW_TIMEOUT_SEC", 600, 1, 7 * 24 * 3600)),
            MaxConcurrentTotal = Int(env, "PW_MAX_CONCURRENT_TOTAL", 3, 1, 1024),
            MaxConcurrentPerUser = Int(env, "PW_MAX_CONCURRENT_PER_USER", 1, 1, 1024),
            UsersFile = home.UsersFile(env),
            AuditLog = home.AuditLog(env),
            AuditLogMaxBytes = Long(env, "PW_AUDIT_LOG_MAX_BYTES", 52428800, 1024, long.MaxValue),
            AuditLogMaxFiles = Int(env, "PW_AUDIT_LOG_MAX_FILES", 3, 0, 1000),
            LegacyToken = string.IsNullOrEmpty(legacy) ? null : legacy,
            MaxBodyBytes = Long(env, "PW_MAX_BODY_BYTES", 16L * 1024 * 1024, 1024, long.MaxValue),
            MaxPromptBytes = Long(env, "PW_MAX_PROMPT_BYTES", 1024 * 1024, 1, int.MaxValue),
            MaxBundleBytes = Long(env, "PW_MAX_BUNDLE_BYTES", 2L * 1024 * 1024 * 1024, 1024, long.MaxValue),
            MaxCheckoutBytes = Long(env, "PW_MAX_CHECKOUT_BYTES", 2L * 1024 * 1024 * 1024, 1, long.MaxValue),
            MaxCheckoutFiles = Long(env, "PW_MAX_CHECKOUT_FILES", 200_000, 1, int.MaxValue),
            SyncMaintenanceInterval = TimeSpan.FromSeconds(Int(env, "PW_SYNC_MAINTENANCE_SEC", 3600, 0, 30 * 86400)),
            LastSeenFlushInterval = TimeSpan.FromSeconds(Int(env, "PW_LAST_SEEN_FLUSH_SEC", 60, 1, 86400)),
            StopGrace = TimeSpan.FromSeconds(Int(env, "PW_STOP_GRACE_SEC", 20, 0, 3600)),
            KeepAlive = TimeSpan.FromSeconds(Int(env, "PW_KEEPALIVE_SEC", 15, 1, 3600)),
            TlsCertFile = tlsCert,
            MaxConnections = Long(env, "PW_MAX_CONNECTIONS", 4096, 1, 1_000_000),
            MaxConnectionsPerClient = Int(env, "PW_MAX_CONNECTIONS_PER_CLIENT", 2048, 1, 1_000_000),
            TlsKeyFile = tlsKey,
            Sandbox = SandboxSettings.FromEnvironment(env),
            RunWorktrees = OnOff(env, "PW_RUN_WORKTREES", true),
        };
    }

    private static void NotAFile(string name, string path)
    {
        if (File.Exists(path)) throw new ConfigurationException($"{name} '{path}' is a file; it must be a folder (or not exist yet).");
    }

    private static void NotADirectory(string name, string path)
    {
        if (Directory.Exists(path)) throw new ConfigurationException($"{name} '{path}' is a folder; it must name a file.");
    }

    private static bool OnOff(IDictionary env, string name, bool fallback)
    {
        var text = PatchwireHome.Get(env, name)?.Trim().ToLowerInvariant();
        return text switch
        {
            null or "" => fallback,
            "on" or "1" or "true" => true,
            "off" or "0" or "false" => false,
            _ => throw new ConfigurationException($"{name} must be on or off, got '{PatchwireHome.Get(env, name)}'."),
        };
    }

    private static int Int(IDictionary env, string name, int fallback, int min, int max) =>
        (int)Long(env, name, fallback, min, max);

    private static long Long(IDictionary env, string name, long fallback, long min, long max)
    {
        var text = PatchwireHome.Get(env, name);
        if (text is null) return fallback;
        if (!long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            throw new ConfigurationException($"{name} must be a whole number from {min} to {max}, got '{text}'.");
        if (value < min || value > max)
            throw new ConfigurationException($"{name} must be from {min} to {max}, got {value}.");
        return value;
    }
}
