using System.Collections;
using System.Text.RegularExpressions;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.Sandbox;

/// <summary>What PW_SANDBOX asks for: bubblewrap when present (auto), bubblewrap or refuse to start (bwrap), or none (off).</summary>
public enum SandboxMode { Auto, Bwrap, Off }

/// <summary>The sandbox's network: the host's (the AI needs its API) or none at all.</summary>
public enum SandboxNetwork { Host, None }

/// <summary>
/// The AI sandbox settings (SPEC section 14): PW_SANDBOX, PW_SANDBOX_NETWORK, PW_AI_CREDENTIALS (files bound read-only
/// into each user's private AI home) and PW_AI_ENV (variable names passed to the AI on top of the fixed allowlist).
/// </summary>
public sealed partial class SandboxSettings
{
    public SandboxMode Mode { get; init; } = SandboxMode.Auto;
    public SandboxNetwork Network { get; init; } = SandboxNetwork.Host;
    /// <summary>Credential files named by the admin (each must exist; 'none' for no file), or null for Claude Code's default files when present.</summary>
    public IReadOnlyList<string>? CredentialFiles { get; init; }
    public IReadOnlyList<string> ExtraEnvironment { get; init; } = Array.Empty<string>();
    /// <summary>Where bubblewrap is: PW_SANDBOX_BWRAP, default /usr/bin/bwrap (the Debian/Ubuntu/Fedora package's path).</summary>
    public string BwrapPath { get; init; } = DefaultBwrapPath;

    public const string DefaultBwrapPath = "/usr/bin/bwrap";

    public static SandboxSettings FromEnvironment(IDictionary env)
    {
        var mode = PatchwireHome.Get(env, "PW_SANDBOX")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => SandboxMode.Auto,
            "bwrap" => SandboxMode.Bwrap,
            "off" => SandboxMode.Off,
            _ => throw new ConfigurationException($"PW_SANDBOX must be auto, bwrap or off, got '{PatchwireHome.Get(env, "PW_SANDBOX")}'."),
        };
        var network = PatchwireHome.Get(env, "PW_SANDBOX_NETWORK")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "host" => SandboxNetwork.Host,
            "none" => SandboxNetwork.None,
            _ => throw new ConfigurationException($"PW_SANDBOX_NETWORK must be host or none, got '{PatchwireHome.Get(env, "PW_SANDBOX_NETWORK")}'."),
        };

        IReadOnlyList<string>? credentials = null;
        if (PatchwireHome.Get(env, "PW_AI_CREDENTIALS") is { } credentialText)
        {
            var files = new List<string>();
            if (credentialText.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) credentialText = "";
            foreach (var item in credentialText.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Path.IsPathRooted(item))
                    throw new ConfigurationException($"PW_AI_CREDENTIALS: '{item}' is not an absolute path.");
                var info = new FileInfo(item);
                if (!info.Exists || info.LinkTarget is not null && !File.Exists(info.ResolveLinkTarget(true)?.FullName))
                    throw new ConfigurationException($"PW_AI_CREDENTIALS: '{item}' is not a file.");
                files.Add(Path.GetFullPath(item));
            }
            credentials = files;
        }

        var names = new List<string>();
        if (PatchwireHome.Get(env, "PW_AI_ENV") is { } envText)
        {
            foreach (var name in envText.Split(new[] { ',', ' ', '\t', ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!VariableName().IsMatch(name))
                    throw new ConfigurationException($"PW_AI_ENV: '{name}' is not an environment variable name.");
                if (name is "HOME" or "PW_AGENT_TOKEN" or "PW_TOKEN")
                    throw new ConfigurationException($"PW_AI_ENV: '{name}' cannot be passed to the AI.");
                names.Add(name);
            }
        }
        var bwrap = PatchwireHome.Get(env, "PW_SANDBOX_BWRAP")?.Trim() ?? DefaultBwrapPath;
        if (!Path.IsPathRooted(bwrap))
            throw new ConfigurationException($"PW_SANDBOX_BWRAP must be an absolute path, got '{bwrap}'.");
        return new SandboxSettings { Mode = mode, Network = network, CredentialFiles = credentials, ExtraEnvironment = names, BwrapPath = bwrap };
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
