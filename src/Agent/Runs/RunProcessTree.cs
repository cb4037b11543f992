using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;

namespace Patchwire.Agent.Runs;

/// <summary>
/// The processes of one AI run, held so that all of them (grandchildren included) die together on timeout, cancel or
/// crash. Linux: the command starts under setsid in a session and process group of its own, killed as a group
/// (<see cref="ProcessGroup"/>), and a crashed agent's leftovers are found by <see cref="RunRecovery"/> through /proc.
/// Windows: a Job Object with kill-on-close named after the run (<see cref="JobName"/>), which the agent's death
/// closes and a restarted agent can open by name. Elsewhere (macOS): the process tree as .NET sees it.
/// </summary>
public abstract class RunProcessTree : IDisposable
{
    /// <param name="runId">The run's journal id: names the Windows job so recovery can find it; null for an unnamed job.</param>
    public static RunProcessTree Create(string? runId) =>
        OperatingSystem.IsWindows() ? new JobObjectTree(runId is null ? null : JobName(runId)) : new SessionTree();

    /// <summary>The Windows job object of run <paramref name="runId"/>.</summary>
    public static string JobName(string runId) => "Patchwire-" + runId;

    /// <summary>Words the command line starts with, before the command itself (setsid on Linux).</summary>
    public abstract IReadOnlyList<string> Prefix { get; }

    /// <summary>Takes the just-started process into the tree, before it is given any input.</summary>
    /// <exception cref="AiStartException">It could not be; the process is killed.</exception>
    public abstract void Adopt(Process process);

    /// <summary>Kills every process of the tree and waits (a few seconds at most) for them to be gone.</summary>
    public abstract void KillAll(Process process);

    public virtual void Dispose() { }

    /// <summary>
    /// Windows, at start: terminates what is left of run <paramref name="runId"/>'s job and waits for its processes
    /// to be gone. False when no such job exists (the agent's death normally closed it, killing everything in it).
    /// </summary>
    [SupportedOSPlatform("windows")]
    public static bool TerminateLeftoverJob(string runId, TimeSpan wait)
    {
        using var job = WindowsJobObject.Open(JobName(runId));
        if (job is null) return false;
        job.TerminateAndWait(wait);
        return true;
    }

    private static void KillProcessTree(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
        try { process.WaitForExit(5000); } catch (InvalidOperationException) { }
    }

    private sealed class SessionTree : RunProcessTree
    {
        private int _groupId;

        public override IReadOnlyList<string> Prefix { get; } =
            ProcessGroup.Launcher is { } setsid ? new[] { setsid } : Array.Empty<string>();

        public override void Adopt(Process process) => _groupId = Prefix.Count > 0 ? process.Id : 0;

        public override void KillAll(Process process)
        {
            if (_groupId > 0) ProcessGroup.KillGroup(_groupId);
            KillProcessTree(process);
        }
    }

    [SupportedOSPlatform("windows")]
    private sealed class JobObjectTree(string? name) : RunProcessTree
    {
        // Made before the process starts, so a failure to make it stops the run before anything runs.
        private readonly WindowsJobObject _job = WindowsJobObject.Create(name);

        public override IReadOnlyList<string> Prefix => Array.Empty<string>();

        /// <remarks>
        /// .NET cannot start a process suspended, so it is assigned right after it starts, on the thread that started
        /// it: a child it spawns in the microseconds before that is outside the job (Process.Kill(entireProcessTree)
        /// still reaches it while its parent lives). Everything started after the assignment is in the job.
        /// </remarks>
        public override void Adopt(Process process)
        {
            try
            {
                _job.Assign(process);
            }
            catch (Win32Exception ex)
            {
                KillProcessTree(process);
                throw new AiStartException($"The AI process could not be put in its job object ({ex.Message}); it was stopped, since its processes could not be stopped together later.", ex);
            }
        }

        public override void KillAll(Process process)
        {
            _job.TerminateAndWait(TimeSpan.FromSeconds(5));
            KillProcessTree(process);
        }

        public override void Dispose() => _job.Dispose();
    }
}
