using System.Diagnostics;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Health;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Sandbox;

namespace Patchwire.Agent.Verify;

/// <summary>
/// Runs PW_VERIFY_CMD in a checkout after a run that changed files, once the diff is captured and before the checkout
/// is restored. It is launched as the AI is: inside the same kind of sandbox (<see cref="AiSandbox"/>: the checkout
/// read-write with its .git read-only, the system read-only, the user's private HOME, nothing of the agent's state),
/// with the AI's allowlisted environment, in its own session and process group. stdin is closed; stdout and stderr are
/// kept as one bounded tail. PW_VERIFY_TIMEOUT_SEC, or cancellation (the client going away, the agent stopping), kills
/// the whole group (the sandbox with its PID namespace). A command that fails, hangs or is missing is a failed verify,
/// never an error of the run: the run's result goes back with it.
/// </summary>
public sealed class VerifyRunner(VerifyOptions options, AgentOptions agent, AiSandbox sandbox)
{
    public const int OutputTailBytes = 64 * 1024;
    private const string StartGateShell = "/bin/sh";

    /// <summary>
    /// Runs the verify command when it is configured, <paramref name="announce"/> is given (the route reports verify
    /// results) and the run changed files; null otherwise. <paramref name="announce"/> is awaited first (the verifying event).
    /// </summary>
    /// <param name="started">Called with the process (and group) id once the command runs: the run journal records it for crash recovery.</param>
    /// <exception cref="OperationCanceledException">Cancelled; the process group is dead when this is thrown.</exception>
    public async Task<VerifyOutcome?> RunAfterAsync(string checkout, CapturedDiff diff, Func<Task>? announce, Action<int>? started, CancellationToken cancellationToken)
    {
        if (!options.Enabled || announce is null || diff.Patch.Length == 0) return null;
        await announce().ConfigureAwait(false);
        return await RunAsync(checkout, started, cancellationToken).ConfigureAwait(false);
    }

    public async Task<VerifyOutcome> RunAsync(string checkout, Action<int>? started, CancellationToken cancellationToken)
    {
        var words = options.Command ?? throw new InvalidOperationException("PW_VERIFY_CMD is not set.");
        var clock = Stopwatch.StartNew();
        VerifyOutcome NotRun(string why) => new(false, -1, clock.Elapsed, $"[patchwire: {why}]\n", false);

        var command = Resolve(words[0], checkout);
        if (command is null)
            return NotRun($"the verify command '{words[0]}' was not found (PW_VERIFY_CMD='{options.CommandText}'); install it on the agent's PATH or fix PW_VERIFY_CMD");

        AiLaunch launch;
        try
        {
            // A script inside the checkout is visible in the sandbox already; only a command from elsewhere needs its install tree shown.
            var inCheckout = IsInside(command, ProjectPaths.RealPath(checkout)) || IsInside(command, Path.GetFullPath(checkout));
            launch = sandbox.Prepare(checkout, inCheckout ? "/bin/sh" : command);
        }
        catch (AiStartException ex)
        {
            return NotRun($"the verify command '{options.CommandText}' was not started: {ex.Message}");
        }

        var psi = new ProcessStartInfo
        {
            WorkingDirectory = checkout,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var commandLine = new List<string>();
        if (ProcessGroup.Launcher is { } setsid) commandLine.Add(setsid);
        if (launch.Wrapper is { } wrapper)
        {
            commandLine.Add(wrapper);
            commandLine.AddRange(launch.WrapperArgs);
        }
        // The command waits for one line on stdin, which comes once its pid is journaled: a verify the agent could not
        // record (killed in between) never starts, so crash recovery can always find what runs in the checkout.
        var gated = File.Exists(StartGateShell);
        if (gated) commandLine.AddRange(new[] { StartGateShell, "-c", "read -r _ || exit 125; exec \"$@\"", "patchwire-verify" });
        commandLine.Add(command);
        commandLine.AddRange(words.Skip(1));
        psi.FileName = commandLine[0];
        foreach (var part in commandLine.Skip(1)) psi.ArgumentList.Add(part);
        AiEnvironment.Apply(psi.Environment, launch.PrivateHome, agent.Sandbox.ExtraEnvironment);

        var process = new Process { StartInfo = psi };
        try
        {
            if (!await ProcessGroup.StartOnLauncherThreadAsync(process).ConfigureAwait(false))
            {
                process.Dispose();
                return NotRun($"the verify command '{options.CommandText}' did not start");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            return NotRun($"the verify command '{options.CommandText}' could not start: {ex.Message}");
        }

        using (process)
        {
            var pid = process.Id;
            var tail = new OutputTail(OutputTailBytes);
            using var drainCancel = new CancellationTokenSource();
            var readers = Task.WhenAll(
                tail.DrainAsync(process.StandardOutput.BaseStream, drainCancel.Token),
                tail.DrainAsync(process.StandardError.BaseStream, drainCancel.Token));
            var timedOut = false;
            try
            {
                started?.Invoke(pid);
                try
                {
                    if (gated) process.StandardInput.Write('\n');
                    process.StandardInput.Close();
                }
                catch (IOException) { } // it is already gone
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Timeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    timedOut = true;
                }
            }
            finally
            {
                // A test runner's children (a dev server, a watcher) must not outlive the verify: the restore follows.
                KillTree(process, pid);
                if (await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != readers)
                {
                    drainCancel.Cancel();
                    await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            clock.Stop();
            var output = tail.Text();
            if (timedOut)
                return new VerifyOutcome(false, -1, clock.Elapsed,
                    output + $"{(output.Length == 0 || output.EndsWith('\n') ? "" : "\n")}[patchwire: the verify command took longer than PW_VERIFY_TIMEOUT_SEC ({(int)options.Timeout.TotalSeconds} s) and was stopped with all its processes]\n", true);
            var exit = process.ExitCode;
            return new VerifyOutcome(exit == 0, exit, clock.Elapsed, output, false);
        }
    }

    /// <summary>A bare name is looked up on PATH; a relative path with a slash is the checkout's (a script in the project).</summary>
    private static string? Resolve(string command, string checkout)
    {
        if (command.IndexOfAny(new[] { '/', '\\' }) >= 0 && !Path.IsPathRooted(command))
        {
            var inCheckout = Path.GetFullPath(Path.Combine(checkout, command));
            return File.Exists(inCheckout) ? inCheckout : null;
        }
        return CommandResolver.Resolve(command);
    }

    private static bool IsInside(string path, string folder) =>
        path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static void KillTree(Process process, int pid)
    {
        ProcessGroup.KillGroup(pid);
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
        try { process.WaitForExit(5000); } catch (InvalidOperationException) { }
    }
}
