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

        return new DetachedRunOptions
        {
            Retention = TimeSpan.FromHours(hours),
            StoreFile = StateDatabase.FileOf(agent),
            NotifyWebhook = webhook,
            NotifyFormat = format,
        };
    }
}
