using System.Globalization;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Sync;

[CliVerb(CliVerbAttribute.Laptop, "sync", "send the working tree to the agent (only what changed)")]
public sealed class SyncCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire sync [PATH] [--project NAME] [--json]\n" +
        "  Snapshots PATH (default: the current folder) without touching your branch, index or stash and sends\n" +
        "  the agent only what it lacks. Ignored files (.env) and .git/ never leave. Prints the baseline commit.\n" +
        "  --json  one JSON document {project, agentUrl, baseline, transferred, full, bytesSent, durationMs, submodulesNotSent}, nothing else";

    public IEnumerable<string> ValueOptions => new[] { "--project" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help)
        {
            context.Out(Usage);
            return 0;
        }
        if (args.Positionals.Count > 1) throw new CliUsageException("give at most one PATH");
        var folder = context.ResolvePath(args.Positionals.Count == 1 ? args.Positionals[0] : ".");
        if (!Directory.Exists(folder)) throw new CliFailure($"the folder '{folder}' does not exist");
        var settings = UserSettings.Load(folder);
        if (args.Option("--project") is { } project) settings.Project = project;
        context.Verbose($"Syncing {settings.ProjectRoot} as '{settings.Project}' to {settings.AgentUrl}.");
        var result = context.Run(token => ProjectSync.SyncAsync(settings, context.Reporter<string>(context.Verbose), token));
        if (args.Flag("--json"))
        {
            CliJson.Write(context, CliJson.Sync(result));
            return 0;
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
