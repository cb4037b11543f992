using System.Collections;
using System.Globalization;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.Chat;

/// <summary>Settings of /chat (SPEC §10, §15), read from the same PW_* environment as <see cref="AgentOptions"/>.</summary>
public sealed class ChatOptions
{
    public const int DefaultMaxSessionsPerUser = 200;

    /// <summary>Sessions kept per user (PW_MAX_SESSIONS_PER_USER); a new one beyond it expires that user's longest-idle session.</summary>
    public int MaxSessionsPerUser { get; init; } = DefaultMaxSessionsPerUser;

    /// <summary>One line of the AI's stdout (a stream-json event) longer than this, in characters, fails the turn.</summary>
    public int MaxLineChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>The reply text of one turn (all chat_text chunks together) longer than this fails the turn.</summary>
    public int MaxReplyChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>Stdout lines read from the AI but not yet sent to the client (a slow client) beyond this fail the turn.</summary>
    public long MaxPendingChars { get; init; } = 16 * 1024 * 1024;

    public static ChatOptions FromEnvironment(IDictionary? env = null)
    {
        env ??= Environment.GetEnvironmentVariables();
        const string name = "PW_MAX_SESSIONS_PER_USER";
        var text = PatchwireHome.Get(env, name);
        var max = DefaultMaxSessionsPerUser;
        if (text is not null && (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1 || max > 1_000_000))
            throw new ConfigurationException($"{name} must be a whole number from 1 to 1000000, got '{text}'.");
        return new ChatOptions { MaxSessionsPerUser = max };
    }
}
