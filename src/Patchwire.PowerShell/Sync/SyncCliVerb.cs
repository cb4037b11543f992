using System.Globalization;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Sync;

[CliVerb(CliVerbAttribute.Laptop, "sync", "send the working tree to the agent (only what changed)")]
public sealed class SyncCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire sync [PATH] [--project NAME]\n" +
        "  Snapshots PATH (default: the current folder) without touching your branch, index or stash and sends\n" +
        "  the agent only what it lacks. Ignored files (.env) and .git/ never leave. Prints the baseline commit.";

    public IEnumerable<string> ValueOptions => new[] { "--project" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help)
        {
            context.Out(Usage);
            return 0;
        }
        if (args.Positionals.Count > 1) throw new CliUsageException("give at most one PATH");
        var location = context.Cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var folder = args.Positionals.Count == 1 ? context.Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(args.Positionals[0]) : location;
        if (!Directory.Exists(folder)) throw new CliFailure($"the folder '{folder}' does not exist");
        ClientSettings settings;
        try { settings = ClientSettingsLoader.Load(folder); }
        catch (ClientConfigurationException ex) { throw new CliFailure(ex.Message); }
        if (args.Option("--project") is { } project) settings.Project = project;
        if (string.IsNullOrEmpty(settings.Token)) throw new CliFailure(ClientErrors.NoToken(settings).Exception.Message);
        SyncResult result;
        try
        {
            result = SyncRunner.Run(settings, null, CancellationToken.None);
        }
        catch (Exception ex) when (ex is AgentClientException or SyncException or GitCommandException)
        {
            throw new CliFailure(ex.Message);
        }
        var seconds = result.Duration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        var shortId = result.Baseline.Length > 12 ? result.Baseline.Substring(0, 12) : result.Baseline;
        context.Out(result.Transferred
            ? $"Synced {result.Project} to {result.AgentUrl}: baseline {shortId} ({(result.Full ? "full, " : "")}{ProjectSync.FormatBytes(result.BytesSent)} sent, {seconds} s)"
            : $"{result.Project} is up to date on {result.AgentUrl}: baseline {shortId} ({seconds} s)");
        if (result.SubmodulesNotSent.Count > 0)
            context.Out($"  submodule contents were not sent (only the superproject is synced): {string.Join(", ", result.SubmodulesNotSent)}");
        return 0;
    }
}
