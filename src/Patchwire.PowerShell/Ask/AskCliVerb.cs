using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Ask;

[CliVerb(CliVerbAttribute.Laptop, "ask", "ask the AI to change this project; review, then apply / choose / save / reject")]
public sealed class AskCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire ask \"PROMPT\" [--yes | --save-only | --detach] [--no-sync] [--include PATTERN[,PATTERN...]] [--path PROJECT_DIR]\n" +
                           "  Syncs the project, asks the agent, prints the AI's reply and the diff, then asks: [a]pply all / [c]hoose files / [s]ave / [r]eject.\n" +
                           "  --yes        apply without asking (scripts)\n" +
                           "  --save-only  save the diff (.patchwire/patches/, and .patchwire/last.patch); apply later with 'patchwire apply'\n" +
                           "  --no-sync    run on the checkout the agent already has\n" +
                           "  --detach     start a detached run and print its id; collect it with 'patchwire wait ID' / 'patchwire result ID'\n" +
                           "  Without a terminal (pwsh -NonInteractive) and without --yes, the diff is saved, never applied.\n" +
                           "  Exit code 1 when the AI exits non-zero (its diff is saved, not applied) or the diff does not apply.";
    public IEnumerable<string> ValueOptions => new[] { "--include", "--path" };
    public IEnumerable<string> Flags => new[] { "--yes", "-y", "--save-only", "--no-sync", "--detach" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var prompt = string.Join(" ", args.Positionals).Trim();
        if (prompt.Length == 0) throw new CliUsageException("the prompt is missing (patchwire ask \"what to change\")");
        var yes = args.Flag("--yes") || args.Flag("-y");
        var saveOnly = args.Flag("--save-only");
        if (yes && saveOnly) throw new CliUsageException("--yes and --save-only exclude each other");
        var include = args.Option("--include")?.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray();

        var settings = UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));
        var sync = !args.Flag("--no-sync");
        if (args.Flag("--detach"))
        {
            if (yes || saveOnly || include is not null) throw new CliUsageException("--detach starts a run and returns; apply its result later with 'patchwire result ID --apply'");
            var run = context.Run(token => DetachedRuns.DetachedRunApi.StartAsync(settings, prompt, sync, p => context.Post(() => context.Verbose(p.Message)), token));
            context.Out(run.Id);
            return 0;
        }
        context.Verbose($"Project '{settings.Project}' at {settings.ProjectRoot}; agent {settings.AgentUrl}.");
        string? lastStage = null;
        PatchwireAskResult result;
        try
        {
            result = context.Run(token => AskRunner.RunAsync(settings, prompt, sync, p => context.Post(() =>
            {
                context.Verbose(p.Message);
                if (p.Stage == lastStage && p.Stage != RunProgress.Queued) return;
                lastStage = p.Stage;
                context.Info(p.Message);
            }), token));
        }
        catch (Exception ex) when (ex is Common.PatchwireException) { throw AskErrors.Reword(ex, settings, sync); }

        if (result.Reply.Length > 0) foreach (var line in result.Reply.Split('\n')) context.Out(line.TrimEnd('\r'));
        if (result.ExitCode != 0)
        {
            context.Warn($"The AI exited with code {result.ExitCode}.");
            foreach (var line in Tail(result.Stderr, 20)) context.Info("  " + line);
        }
        if (!result.HasChanges)
        {
            context.Out($"No changes ({ChangeText.Seconds(result.Duration)} on the agent).");
            if (result.ExitCode != 0) throw new CliFailure($"the AI exited with code {result.ExitCode}; no changes.");
            return 0;
        }

        context.Out($"{ChangeText.Summary(result.Files)} in {ChangeText.Seconds(result.Duration)}" +
                    (result.QueueWait > TimeSpan.FromMilliseconds(500) ? $", after {ChangeText.Seconds(result.QueueWait)} in the queue" : "") + ":");
        foreach (var f in result.Files) context.Out(ChangeText.FileLine(f));
        if (!saveOnly) ChangeText.Preview(context, result.Diff);

        if (saveOnly)
        {
            ChangeText.PrintSaved(context, "Saved the diff", ApplyStep.Save(result));
            return 0;
        }
        if (result.ExitCode != 0)
            throw new CliFailure($"the AI exited with code {result.ExitCode}, so its diff was not applied; it is saved to {ApplyStep.Save(result)}. Review it, then 'patchwire apply'.");
        if (yes)
        {
            context.Verbose("Applying the diff (--yes).");
            ChangeText.ApplyChosen(context, result, include);
            return 0;
        }
        if (!context.Interactive)
        {
            ChangeText.PrintSaved(context, "No terminal to ask in (use --yes to apply in scripts); saved the diff", ApplyStep.Save(result));
            return 0;
        }
        ChangeText.Review(context, result, "Apply? [a]pply all / [c]hoose files / [s]ave / [r]eject: ", include);
        return 0;
    }

    private static IEnumerable<string> Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return all.Skip(Math.Max(0, all.Length - lines)).Where(l => l.Length > 0);
    }
}
