using System.Globalization;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>What the run verbs share: settings, the async pump, agent errors as one line.</summary>
internal static class RunCli
{
    public static ClientSettings Settings(CliContext context, CliArgs args) =>
        UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));

    public static T Call<T>(CliContext context, string? id, Func<CliContext, CancellationToken, Task<T>> work)
    {
        try { return context.Run(token => work(context, token)); }
        catch (AgentClientException ex) when (id is not null && ex.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new CliFailure($"no run '{id}' of yours on the agent (it never existed, belongs to someone else, or is older than PW_RUN_RETENTION_HOURS)");
        }
        catch (AgentClientException ex) when (id is not null && ex.ErrorCode == HttpErrors.InvalidRunId)
        {
            throw new CliFailure($"'{id}' is not a run id (32 lowercase hex characters)");
        }
        catch (AgentClientException ex) { throw new CliFailure(ex.Message); }
    }

    public static string Id(CliArgs args, string verb)
    {
        if (args.Positionals.Count != 1) throw new CliUsageException($"'{verb}' takes one run id");
        return args.Positionals[0];
    }

    public static string Line(PatchwireRun run)
    {
        var state = run.State == "queued" && run.Position is { } p ? $"queued ({p})" : run.State;
        var files = run.IsFinished && run.State == "succeeded" ? $"{run.Files.Length} file(s)" : "";
        return $"{run.Id}  {state,-12} {run.Project,-20} {run.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm}  {files}".TrimEnd();
    }

    /// <summary>Prints a final run; returns the exit code (0 succeeded with exit 0, 1 otherwise).</summary>
    public static int Report(CliContext context, PatchwireRun run)
    {
        if (run.State != "succeeded")
        {
            context.Out($"{run.Id}: {run.State}: {run.Message}");
            return 1;
        }
        var result = run.Result!;
        context.Out($"{run.Id}: succeeded, {result.Files.Length} file(s) changed (+{result.LinesAdded} -{result.LinesRemoved}) in {result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        foreach (var f in result.Files) context.Out(ChangeText.FileLine(f));
        if (result.ExitCode != 0) context.Warn($"The AI exited with code {result.ExitCode}.");
        return result.ExitCode == 0 ? 0 : 1;
    }
}

[CliVerb(CliVerbAttribute.Laptop, "runs", "list your detached runs on the agent")]
public sealed class RunsCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire runs [--path PROJECT_DIR]\n  Lists your detached runs (id, state, project, started, files changed), oldest first.";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"'runs' takes no arguments (got '{args.Positionals[0]}')");
        var settings = RunCli.Settings(context, args);
        var runs = RunCli.Call(context, null, (_, token) => DetachedRunApi.ListAsync(settings, token));
        if (runs.Length == 0) context.Out("No runs.");
        foreach (var run in runs) context.Out(RunCli.Line(run));
        return 0;
    }
}

[CliVerb(CliVerbAttribute.Laptop, "wait", "wait until a detached run finishes and show its summary")]
public sealed class WaitCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire wait RUN_ID [--timeout SECONDS] [--path PROJECT_DIR]\n  Waits for the run to finish, then prints its state and changed files (exit 0 when it succeeded).";
    public IEnumerable<string> ValueOptions => new[] { "--timeout", "--path" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var id = RunCli.Id(args, "wait");
        TimeSpan? timeout = null;
        if (args.Option("--timeout") is { } text)
        {
            if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                throw new CliUsageException($"--timeout must be a number of seconds above 0 (got '{text}')");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        var settings = RunCli.Settings(context, args);
        string? last = null;
        var run = RunCli.Call(context, id, (pump, token) => DetachedRunApi.WaitAsync(settings, id, timeout, r => pump.Post(() =>
        {
            var line = r.State == RunStates.Queued && r.Position is { } p ? $"Queued — position {p}…" : "Running…";
            if (line != last) context.Info(line);
            last = line;
        }), token));
        if (run is null) throw new CliFailure($"run {id} did not finish within {timeout!.Value.TotalSeconds} s; it goes on on the agent");
        return RunCli.Report(context, run);
    }
}

[CliVerb(CliVerbAttribute.Laptop, "result", "show a finished detached run's diff; --apply applies it")]
public sealed class ResultCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire result RUN_ID [--apply] [--path PROJECT_DIR]\n  Prints the run's summary and diff; --apply applies the diff to the project (git apply, 3-way when needed).";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => new[] { "--apply" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var id = RunCli.Id(args, "result");
        var settings = RunCli.Settings(context, args);
        var run = RunCli.Call(context, id, (_, token) => DetachedRunApi.GetAsync(settings, id, token));
        if (!run.IsFinished) throw new CliFailure($"run {id} is {run.State}; 'patchwire wait {id}' first");
        var code = RunCli.Report(context, run);
        if (run.Result is not { HasChanges: true } result) return code;
        if (!args.Flag("--apply"))
        {
            ChangeText.Preview(context, result.Diff);
            return code;
        }
        if (result.ExitCode != 0) throw new CliFailure("not applied because the AI exited with a non-zero code; review with 'patchwire result " + id + "'");
        try
        {
            ChangeText.PrintApplied(context, PatchApplier.Apply(settings.ProjectRoot, result.Diff));
            return 0;
        }
        catch (PatchApplyException ex) { throw new CliFailure(ex.Message); }
    }
}
