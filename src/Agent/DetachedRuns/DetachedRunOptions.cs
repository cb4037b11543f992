using System.Collections;
using System.Globalization;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>Settings of detached runs (SPEC §3, §17), read from the same PW_* environment as <see cref="AgentOptions"/>.</summary>
public sealed class DetachedRunOptions
{
    public required TimeSpan Retention { get; init; }
    public required string StoreFile { get; init; }
    public Uri? NotifyWebhook { get; init; }
    public string NotifyFormat { get; init; } = "json";
    /// <summary>
    /// Detached runs one user may have in progress (queued or running) at once; their prompts are held in memory until
    /// they end. PW_MAX_QUEUED_PER_USER, default 100 (1 to 100000).
    /// </summary>
    public int MaxInProgressPerUser { get; init; } = DefaultMaxInProgressPerUser;

    public const int DefaultMaxInProgressPerUser = 100;

    public static DetachedRunOptions FromEnvironment(AgentOptions agent, IDictionary? env = null)
    {
        env ??= Environment.GetEnvironmentVariables();
        var hoursText = PatchwireHome.Get(env, "PW_RUN_RETENTION_HOURS");
        var hours = 72.0;
        // Fractions are allowed (0.5 = 30 minutes); tests use a few seconds' worth.
        if (hoursText is not null && (!double.TryParse(hoursText.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out hours)
                                      || hours <= 0 || hours > 24 * 3650))
            throw new ConfigurationException($"PW_RUN_RETENTION_HOURS must be a number of hours above 0 (fractions allowed), got '{hoursText}'.");

        Uri? webhook = null;
        var webhookText = PatchwireHome.Get(env, "PW_NOTIFY_WEBHOOK");
        if (!string.IsNullOrWhiteSpace(webhookText)
            && (!Uri.TryCreate(webhookText.Trim(), UriKind.Absolute, out webhook) || webhook.Scheme is not ("http" or "https")))
            throw new ConfigurationException($"PW_NOTIFY_WEBHOOK must be an http:// or https:// URL, got '{webhookText}'.");
        var format = (PatchwireHome.Get(env, "PW_NOTIFY_FORMAT") ?? "json").Trim().ToLowerInvariant();
        if (format is not ("json" or "slack" or "teams"))
            throw new ConfigurationException($"PW_NOTIFY_FORMAT must be json, slack or teams, got '{format}'.");

        var maxText = PatchwireHome.Get(env, "PW_MAX_QUEUED_PER_USER");
        var maxInProgress = DefaultMaxInProgressPerUser;
        if (maxText is not null && (!int.TryParse(maxText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out maxInProgress)
                                    || maxInProgress < 1 || maxInProgress > 100_000))
            throw new ConfigurationException($"PW_MAX_QUEUED_PER_USER must be a whole number from 1 to 100000, got '{maxText}'.");

        return new DetachedRunOptions
        {
            MaxInProgressPerUser = maxInProgress,
            Retention = TimeSpan.FromHours(hours),
            StoreFile = StateDatabase.FileOf(agent),
            NotifyWebhook = webhook,
            NotifyFormat = format,
        };
    }
}
