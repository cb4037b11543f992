using System.Management.Automation;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Ask;

[CliVerb(CliVerbAttribute.Laptop, "ask", "ask the AI to change this project; review, then apply / choose / save / reject")]
public sealed class AskCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire ask \"PROMPT\" [--yes | --save-only | --detach] [--no-sync] [--include PATTERN[,PATTERN...]] [--path PROJECT_DIR]\n" +
                           "  Syncs the project, asks the agent, shows the diff, then asks: [a]pply all / [c]hoose files / [s]ave / [r]eject.\n" +
                           "  --yes        apply without asking (scripts)\n" +
                           "  --save-only  save the diff to .patchwire/last.patch; apply later with 'patchwire apply'\n" +
                           "  --no-sync    run on the checkout the agent already has\n" +
                           "  --detach     start a detached run and print its id; collect it with 'patchwire wait ID' / 'patchwire result ID'\n" +
                           "  Without a terminal (pwsh -NonInteractive) and without --yes, the diff is saved, never applied.";
    public IEnumerable<string> ValueOptions => new[] { "--include", "--path" };
    public IEnumerable<string> Flags => new[] { "--yes", "-y", "--save-only", "--no-sync", "--detach" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var prompt = string.Join(" ", args.Positionals).Trim();
        if (prompt.Length == 0) throw new CliUsageException("the prompt is missing");
        var yes = args.Flag("--yes") || args.Flag("-y");
        var saveOnly = args.Flag("--save-only");
        if (yes && saveOnly) throw new CliUsageException("--yes and --save-only exclude each other");
        var include = args.Option("--include")?.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray();

        var folder = context.Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(args.Option("--path") ?? ".");
        var settings = UserSettings.Load(folder);

        var sync = !args.Flag("--no-sync");
        if (args.Flag("--detach"))
        {
            if (yes || saveOnly || include is not null) throw new CliUsageException("--detach starts a run and returns; apply its result later with 'patchwire result ID --apply'");
            return Detach(context, settings, prompt, sync);
        }
        var pump = new PipelinePump(context.Cmdlet);
        string? lastStage = null;
        PatchwireAskResult result;
        try
        {
            result = pump.Run(token => AskRunner.RunAsync(settings, prompt, sync, p => pump.Post(() =>
            {
                if (p.Stage == lastStage && p.Stage != AskProgress.Queued) { context.Cmdlet.WriteVerbose(p.Message); return; }
                lastStage = p.Stage;
                context.Info(p.Message);
            }), token));
        }
        catch (AgentClientException ex) { throw new CliFailure(AskErrors.From(ex, settings, sync).Exception.Message); }
        catch (AskFailedException ex) { throw new CliFailure(ex.Message); }
        catch (Exception ex) when (ex is SyncException or GitCommandException) { throw new CliFailure(ex.Message); }

        if (result.ExitCode != 0)
        {
            context.Warn($"The AI exited with code {result.ExitCode}.");
            foreach (var line in Tail(result.Stderr, 20)) context.Info("  " + line);
        }
        if (!result.HasChanges)
        {
            context.Out($"No changes ({Seconds(result.Duration)} on the agent).");
            return result.ExitCode == 0 ? 0 : 1;
        }

        context.Out($"{result.Files.Length} file{(result.Files.Length == 1 ? "" : "s")} changed (+{result.LinesAdded} -{result.LinesRemoved}) in {Seconds(result.Duration)}" +
                    (result.QueueWait > TimeSpan.FromMilliseconds(500) ? $", after {Seconds(result.QueueWait)} in the queue" : "") + ":");
        foreach (var f in result.Files) context.Out(ApplyCliVerb.FileLine(f));
        if (!saveOnly) Preview(context, result.Diff);

        if (saveOnly) return Save(context, settings, result.Diff, "Saved the diff");
        if (result.ExitCode != 0)
        {
            Save(context, settings, result.Diff, "Not applied because the AI failed; saved the diff");
            return 1;
        }
        if (yes) return ApplyAndReport(context, settings, result.Diff, include);
        if (!context.Interactive)
            return Save(context, settings, result.Diff, "No terminal to ask in (use --yes to apply in scripts); saved the diff");

        while (true)
        {
            var answer = context.ReadLine("Apply? [a]pply all / [c]hoose files / [s]ave / [r]eject: ");
            switch (answer?.Trim().ToLowerInvariant())
            {
                case null: return Save(context, settings, result.Diff, "Saved the diff");
                case "a": case "apply": return ApplyAndReport(context, settings, result.Diff, include);
                case "s": case "save": return Save(context, settings, result.Diff, "Saved the diff");
                case "r": case "reject":
                    context.Out("Rejected; nothing applied or saved.");
                    return 0;
                case "c": case "choose":
                    var chosen = new List<string>();
                    foreach (var f in result.Files)
                    {
                        var yn = context.ReadLine($"  {ApplyCliVerb.StatusLetter(f.Status)} {f.Path} (+{f.LinesAdded} -{f.LinesRemoved}) — apply? [y/N] ");
                        if (yn?.Trim().StartsWith("y", StringComparison.OrdinalIgnoreCase) == true) chosen.Add(f.Path);
                    }
                    if (chosen.Count == 0) return Save(context, settings, result.Diff, "No file chosen; saved the diff");
                    Save(context, settings, result.Diff, "Saved the whole diff");
                    return ApplyAndReport(context, settings, result.Diff, chosen.Select(WildcardPattern.Escape).ToArray());
            }
        }
    }

    private static int Detach(CliContext context, ClientSettings settings, string prompt, bool sync)
    {
        var pump = new PipelinePump(context.Cmdlet);
        try
        {
            var run = pump.Run(token => DetachedRuns.DetachedRunApi.StartAsync(settings, prompt, sync, p => pump.Post(() => context.Cmdlet.WriteVerbose(p.Message)), token));
            context.Out(run.Id);
            return 0;
        }
        catch (AgentClientException ex) { throw new CliFailure(AskErrors.From(ex, settings, sync).Exception.Message); }
        catch (Exception ex) when (ex is SyncException or GitCommandException) { throw new CliFailure(ex.Message); }
    }

    private static int ApplyAndReport(CliContext context, ClientSettings settings, string diff, string[]? include)
    {
        var patch = PatchSelection.Select(diff, include, out var chosen);
        if (chosen.Count == 0) throw new CliFailure("--include matched none of the changed files; nothing applied");
        try
        {
            ApplyCliVerb.PrintApplied(context, PatchApplier.Apply(settings.ProjectRoot, patch));
            return 0;
        }
        catch (PatchApplyException ex) { throw new CliFailure(ex.Message); }
    }

    private static int Save(CliContext context, ClientSettings settings, string diff, string what)
    {
        var path = PatchApplier.Save(settings.ProjectRoot, diff);
        context.Out($"{what} to {path}. Apply it later with 'patchwire apply' (or Invoke-PatchwirePatch).");
        return 0;
    }

    /// <summary>The diff with git's colours: + green, - red, @@ cyan, headers bold-ish (white).</summary>
    internal static void Preview(CliContext context, string diff)
    {
        foreach (var raw in diff.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("diff --git", StringComparison.Ordinal))
                context.Colored(line, ConsoleColor.White);
            else if (line.StartsWith("+", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Green);
            else if (line.StartsWith("-", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Red);
            else if (line.StartsWith("@@", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Cyan);
            else context.Info(line);
        }
    }

    private static IEnumerable<string> Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return all.Skip(Math.Max(0, all.Length - lines)).Where(l => l.Length > 0);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s";
}
