using System.Diagnostics;
using System.Text;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Health;
using Patchwire.Agent.Sandbox;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Runs the AI command (PW_AI_BIN + PW_AI_ARGS) in a checkout: inside the sandbox (<see cref="AiSandbox"/>) when there
/// is one, with an allowlisted environment and the user's private HOME, the prompt on stdin, stdout and stderr captured
/// up to <see cref="OutputLimitBytes"/> each, and PW_TIMEOUT_SEC (or cancellation, e.g. the client going away) killing
/// its whole process tree, grandchildren included (<see cref="RunProcessTree"/>: a process group on Linux, a job object
/// on Windows, where a .cmd such as npm's claude.cmd starts through <see cref="BatchFileLaunch"/>). The pid on record is setsid's, i.e. bwrap's when sandboxed: the
/// leader of the process group that holds the sandbox's PID 1, whose death takes the whole sandbox with it. bwrap
/// also dies with the agent (--die-with-parent), so a killed agent leaves no sandboxed AI at work.
/// </summary>
public sealed class AiRunner(AgentOptions options, AiSandbox sandbox)
{
    public const int OutputLimitBytes = 1024 * 1024;

    /// <param name="started">Called with the process (and group) id once the AI is running, before the prompt is written to it.</param>
    /// <exception cref="AiStartException">The command is missing or cannot start.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the process group is dead when this is thrown.</exception>
    /// <param name="extras">Arguments after PW_AI_ARGS and a per-line stdout callback (chat streams the reply with it).</param>
    /// <param name="runId">The run's journal id, which names its Windows job object (<see cref="RunProcessTree"/>) so recovery can find it.</param>
    public async Task<AiRunOutcome> RunAsync(string workingDirectory, string prompt, Action<int>? started, CancellationToken cancellationToken, AiRunExtras? extras = null, string? runId = null)
    {
        var command = CommandResolver.Resolve(options.AiBin)
            ?? throw new AiStartException($"The AI command '{options.AiBin}' was not found (PW_AI_BIN). Install it or point PW_AI_BIN at it.");
        var launch = sandbox.Prepare(workingDirectory, command);
        var psi = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var tree = CreateTree(runId);
        var commandLine = new List<string>(tree.Prefix);
        if (launch.Wrapper is { } wrapper)
        {
            commandLine.Add(wrapper);
            commandLine.AddRange(launch.WrapperArgs);
        }
        var arguments = options.AiArgs.Concat(extras?.ExtraArgs ?? Array.Empty<string>()).ToList();
        if (OperatingSystem.IsWindows() && CommandResolver.IsBatchFile(command))
        {
            (psi.FileName, psi.Arguments) = BatchFileLaunch.Build(BatchFileLaunch.CmdExe, command, arguments);
        }
        else
        {
            commandLine.Add(command);
            psi.FileName = commandLine[0];
            foreach (var part in commandLine.Skip(1)) psi.ArgumentList.Add(part);
            foreach (var arg in arguments) psi.ArgumentList.Add(arg);
        }
        AiEnvironment.Apply(psi.Environment, launch.PrivateHome, options.Sandbox.ExtraEnvironment);

        var process = new Process { StartInfo = psi };
        var clock = Stopwatch.StartNew();
        try
        {
            if (!await ProcessGroup.StartOnLauncherThreadAsync(process, tree.Adopt).ConfigureAwait(false))
                throw new AiStartException($"The AI command '{options.AiBin}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new AiStartException($"The AI command '{options.AiBin}' could not start: {ex.Message}", ex);
        }
        catch (AiStartException)
        {
            process.Dispose();
            throw;
        }

        using (process)
        {
            var pid = process.Id;
            var stdout = new BoundedOutput(OutputLimitBytes);
            var stderr = new BoundedOutput(OutputLimitBytes);
            using var drainCancel = new CancellationTokenSource();
            var lines = extras?.OnStdoutLine is { } onLine ? new Utf8LineSplitter(onLine, extras.MaxLineChars, extras.OnOverlongLine) : null;
            var readers = Task.WhenAll(
                DrainStdoutAsync(stdout, process.StandardOutput.BaseStream, lines, drainCancel.Token),
                stderr.DrainAsync(process.StandardError.BaseStream, drainCancel.Token));
            var writer = Task.CompletedTask;
            var timedOut = false;
            try
            {
                // The pid must be on record (the run journal, fsynced) before the AI gets its prompt: an AI that was
                // already at work when the agent is killed -9 could otherwise not be found and stopped on restart.
                // Killed before this line, the AI has no prompt and sees its stdin and stdout close.
                started?.Invoke(pid);
                writer = WritePromptAsync(process.StandardInput.BaseStream, prompt, drainCancel.Token);
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
                // Whatever happened, nothing the AI started may outlive the run: it would keep writing into the checkout.
                tree.KillAll(process);
                await FinishReadersAsync(readers, writer, drainCancel).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            clock.Stop();
            return new AiRunOutcome(timedOut ? -1 : process.ExitCode, stdout.Text(), stderr.Text(), clock.Elapsed, timedOut);
        }
    }

    private static async Task DrainStdoutAsync(BoundedOutput stdout, Stream stream, Utf8LineSplitter? lines, CancellationToken cancellationToken)
    {
        if (lines is null)
        {
            await stdout.DrainAsync(stream, cancellationToken).ConfigureAwait(false);
            return;
        }
        await stdout.DrainAsync(stream, cancellationToken, lines.Write).ConfigureAwait(false);
        lines.Complete();
    }

    private static RunProcessTree CreateTree(string? runId)
    {
        try { return RunProcessTree.Create(runId); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new AiStartException($"The AI run's job object could not be made ({ex.Message}); nothing was started.", ex);
        }
    }

    private static async Task WritePromptAsync(Stream stdin, string prompt, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = Encoding.UTF8.GetBytes(prompt);
            await stdin.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) { } // the AI exited or closed stdin without reading it all
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            try { stdin.Dispose(); } catch (IOException) { }
        }
    }

    /// <summary>The pipes normally close with the group; if something escaped it and holds them open, stop waiting after a few seconds.</summary>
    private static async Task FinishReadersAsync(Task readers, Task writer, CancellationTokenSource drainCancel)
    {
        var all = Task.WhenAll(readers, writer);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) == all) return;
        drainCancel.Cancel();
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
    }
}
