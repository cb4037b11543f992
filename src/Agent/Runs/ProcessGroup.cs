using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Starting a command in its own session (setsid) and killing that whole session's process group, so an AI's
/// grandchildren (a background 'sleep', a dev server) die with it. Without setsid (Windows, macOS) the process
/// tree is killed instead.
/// </summary>
public static class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>The setsid launcher, or null where there is none.</summary>
    public static string? Launcher { get; } =
        OperatingSystem.IsLinux() ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;

    private static readonly BlockingCollection<(Process Process, Action<Process>? Adopt, TaskCompletionSource<bool> Started)> StartRequests = new();
    private static readonly Lazy<Thread> StartThread = new(() =>
    {
        var thread = new Thread(() =>
        {
            foreach (var (process, adopt, started) in StartRequests.GetConsumingEnumerable())
            {
                try
                {
                    var ok = process.Start();
                    if (ok) adopt?.Invoke(process);
                    started.SetResult(ok);
                }
                catch (Exception ex) { started.SetException(ex); }
            }
        })
        { IsBackground = true, Name = "patchwire-ai-launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>
    /// Starts <paramref name="process"/> from one thread that lives as long as the agent. Linux ties a child's
    /// parent-death signal (bwrap's --die-with-parent) to the thread that forked it, and .NET forks on the calling
    /// thread: started from a pool thread that later retires, the AI would be killed mid-run.
    /// <paramref name="adopt"/> runs on that thread as soon as the process has started (a Windows job takes it in
    /// with no thread switch in between); what it throws is what the task throws.
    /// </summary>
    public static Task<bool> StartOnLauncherThreadAsync(Process process, Action<Process>? adopt = null)
    {
        _ = StartThread.Value;
        var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        StartRequests.Add((process, adopt, started));
        return started.Task;
    }

    /// <summary>SIGKILL to every process in group <paramref name="groupId"/>; false when no such group exists.</summary>
    public static bool KillGroup(int groupId)
    {
        if (OperatingSystem.IsWindows() || groupId <= 1) return false;
        return Kill(-groupId, SigKill) == 0;
    }

    /// <summary>SIGKILL to one process.</summary>
    public static bool KillProcess(int processId)
    {
        if (OperatingSystem.IsWindows() || processId <= 1) return false;
        return Kill(processId, SigKill) == 0;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
