using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Ask;

[CliVerb(CliVerbAttribute.Laptop, "ask", "ask the AI to change this project; review, then apply / choose / save / reject")]
public sealed class AskCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire ask \"PROMPT\" [--yes [--force] | --save-only | --detach] [--no-sync] [--json] [--include PATTERN[,PATTERN...]] [--path PROJECT_DIR]\n" +
                           "  Syncs the project, asks the agent, prints the AI's reply and the diff, then asks: [a]pply all / [c]hoose files / [s]ave / [r]eject.\n" +
                           "  --yes        apply without asking (scripts)\n" +
                           "  --force      with --yes: apply even when the agent's verify command (PW_VERIFY_CMD) failed on the change\n" +
                           "  --save-only  save the diff (.patchwire/patches/, and .patchwire/last.patch); apply later with 'patchwire apply'\n" +
                           "  --no-sync    run on the checkout the agent already has\n" +
                           "  --detach     start a detached run and print its id; collect it with 'patchwire wait ID' / 'patchwire result ID'\n" +
                           "  --json       one JSON document on stdout and nothing else (the result, with 'applied' and 'savedPatch'; with --detach\n" +
                           "               {\"id\"}); never asks: applies with --yes, else saves the diff\n" +
                           "  Without a terminal (pwsh -NonInteractive) and without --yes, the diff is saved, never applied.\n" +
                           "  Exit code 1 when the AI exits non-zero (its diff is saved, not applied), the diff does not apply, or --yes meets a\n" +
                           "  failed verify without --force (saved, not applied).";
    public IEnumerable<string> ValueOptions => new[] { "--include", "--path" };
    public IEnumerable<string> Flags => new[] { "--yes", "-y", "--force", "--save-only", "--no-sync", "--detach", "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var prompt = string.Join(" ", args.Positionals).Trim();
        if (prompt.Length == 0) throw new CliUsageException("the prompt is missing (patchwire ask \"what to change\")");
        var yes = args.Flag("--yes") || args.Flag("-y");
        var saveOnly = args.Flag("--save-only");
        if (yes && saveOnly) throw new CliUsageException("--yes and --save-only exclude each other");
        var force = args.Flag("--force");
        if (force && !yes) throw new CliUsageException("--force goes with --yes (apply even when the verify failed)");
        var json = args.Flag("--json");
        var include = args.Option("--include")?.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray();

        var settings = UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));
        var sync = !args.Flag("--no-sync");
        if (args.Flag("--detach"))
        {
            if (yes || saveOnly || include is not null) throw new CliUsageException("--detach starts a run and returns; apply its result later with 'patchwire result ID --apply'");
            var run = context.Run(token => DetachedRuns.DetachedRunApi.StartAsync(settings, prompt, sync, p => context.Post(() => context.Verbose(p.Message)), token));
            if (json) CliJson.Write(context, new { id = run.Id, state = run.State, project = run.Project });
            else context.Out(run.Id);
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
                if (json) return;
                if (p.Stage == lastStage && p.Stage != RunProgress.Queued) return;
                lastStage = p.Stage;
                context.Info(p.Message);
            }), token));
        }
        catch (Exception ex) when (ex is Common.PatchwireException) { throw AskErrors.Reword(ex, settings, sync); }
        if (json) return AnswerJson(context, result, yes, saveOnly, force, include);

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
        if (result.Verify is { } verify)
        {
            if (verify.Passed) context.Out($"Verify {verify}.");
            else
            {
                context.Warn($"The agent's verify command {verify}:");
                foreach (var line in verify.Tail(20)) context.Info("  " + line);
            }
        }
        if (!saveOnly) ChangeText.Preview(context, result.Diff);

        if (saveOnly)
        {
            ChangeText.PrintSaved(context, "Saved the diff", ApplyStep.Save(result));
            return 0;
        }
        if (result.ExitCode != 0)
            throw new CliFailure($"the AI exited with code {result.ExitCode}, so its diff was not applied; it is saved to {ApplyStep.Save(result)}. Review it, then 'patchwire apply'.");
        if (yes && !result.VerifyPassed && !force)
            throw new CliFailure($"the agent's verify command {result.Verify}, so the diff was not applied; it is saved to {ApplyStep.Save(result)}. Review it, then 'patchwire apply' (or --yes --force to apply anyway).");
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

    /// <summary>
    /// --json: no questions, no notes. With --yes the diff is applied unless the AI failed or the verify failed (without
    /// --force): then it is saved, the document says where, and the exit code is 1. Without --yes it is saved.
    /// </summary>
    private static int AnswerJson(CliContext context, PatchwireAskResult result, bool yes, bool saveOnly, bool force, string[]? include)
    {
        string? heldBack = null;
        if (result.HasChanges)
        {
            heldBack = result.ExitCode != 0 ? $"the AI exited with code {result.ExitCode}"
                : yes && !result.VerifyPassed && !force ? $"the agent's verify command {result.Verify}"
                : null;
            if (yes && !saveOnly && heldBack is null)
            {
                var patch = PatchSelection.Select(result.Diff, include, out var chosen);
                if (chosen.Count == 0)
                {
                    ApplyStep.Save(result);
                    throw new CliFailure($"--include matched none of the changed files; nothing applied. The diff is saved to {result.SavedPatch}.");
                }
                ApplyStep.Apply(result, patch); // a conflict throws, saved: the error says where
            }
            else
            {
                ApplyStep.Save(result);
            }
        }
        CliJson.Write(context, CliJson.Ask(result));
        if (result.ExitCode != 0)
        {
            context.Error($"the AI exited with code {result.ExitCode}{(result.HasChanges ? $"; its diff is saved to {result.SavedPatch}" : "")}", Common.ErrorIds.CliFailed);
            return 1;
        }
        if (yes && heldBack is not null)
        {
            context.Error($"{heldBack}, so the diff was not applied; it is saved to {result.SavedPatch} (--force applies it anyway)", Common.ErrorIds.CliFailed);
            return 1;
        }
        return 0;
    }

    private static IEnumerable<string> Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return all.Skip(Math.Max(0, all.Length - lines)).Where(l => l.Length > 0);
    }
}
