using System.Collections;
using System.Globalization;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.Verify;

/// <summary>The verify step's settings (issue 12, item 4), read once at start from the same PW_* environment as <see cref="AgentOptions"/>.</summary>
public sealed class VerifyOptions
{
    /// <summary>PW_VERIFY_CMD split like PW_AI_ARGS (quotes, no expansion); null when unset or blank: no verify step.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>PW_VERIFY_TIMEOUT_SEC, default 300: past it the command's whole process group (or sandbox) is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(300);

    public bool Enabled => Command is { Count: > 0 };

    /// <summary>The command as the admin wrote it, for messages.</summary>
    public string CommandText => Command is null ? "" : string.Join(' ', Command);

    /// <exception cref="ConfigurationException">A malformed value; the message names the variable.</exception>
    public static VerifyOptions FromEnvironment(IDictionary? env = null)
    {
        env ??= Environment.GetEnvironmentVariables();
        IReadOnlyList<string>? command = null;
        var text = PatchwireHome.Get(env, "PW_VERIFY_CMD");
        if (!string.IsNullOrWhiteSpace(text))
        {
            try { command = CommandLineSplitter.Split(text); }
            catch (FormatException ex) { throw new ConfigurationException($"PW_VERIFY_CMD is not valid: {ex.Message}"); }
            if (command.Count == 0) command = null;
        }

        const int max = 7 * 24 * 3600;
        var timeout = 300;
        var timeoutText = PatchwireHome.Get(env, "PW_VERIFY_TIMEOUT_SEC");
        if (timeoutText is not null)
        {
            if (!int.TryParse(timeoutText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out timeout))
                throw new ConfigurationException($"PW_VERIFY_TIMEOUT_SEC must be a whole number from 1 to {max}, got '{timeoutText}'.");
            if (timeout < 1 || timeout > max)
                throw new ConfigurationException($"PW_VERIFY_TIMEOUT_SEC must be from 1 to {max}, got {timeout}.");
        }
        return new VerifyOptions { Command = command, Timeout = TimeSpan.FromSeconds(timeout) };
    }
}
