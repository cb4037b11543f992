using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Runs;

/// <summary>
/// On start, before the port opens: every run the journal still lists was cut short by a crash or kill -9.
/// Its AI processes (which live in their own session and survive the agent) are killed, and its checkout is put
/// back to the pre-run state; a run that worked in a run folder of its own has that folder removed. Then any run folder
/// still there (a crash before its journal entry was written) is removed too: none is in use before the port opens.
/// </summary>
public sealed class RunRecovery(RunJournal journal, RunWorktrees worktrees, ILogger<RunRecovery> log)
{
    /// <summary>Restores what it can; returns one line per checkout restored or left for the next start.</summary>
    public List<string> RecoverAll()
    {
        var lines = new List<string>();
        var (entries, unreadable) = journal.ReadAll();
        foreach (var file in unreadable)
        {
            var aside = file + ".unreadable";
            try { File.Move(file, aside, overwrite: true); } catch (IOException) { }
            lines.Add($"patchwire-agent: run journal file {file} is unreadable; moved aside to {aside}");
        }
        foreach (var entry in entries)
        {
            if (entry.AiProcessId is { } pid) KillLeftovers(pid, entry.Checkout);
            if (entry.RunFolder)
            {
                try
                {
                    RunWorktrees.Remove(entry.Checkout);
                    journal.Complete(entry);
                    lines.Add($"patchwire-agent: removed the folder {entry.Checkout} of an interrupted run");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    lines.Add($"patchwire-agent: could not remove the folder {entry.Checkout} of an interrupted run ({ex.Message}); will retry on the next start");
                }
                continue;
            }
            if (!Directory.Exists(entry.Checkout))
            {
                lines.Add($"patchwire-agent: checkout {entry.Checkout} of an interrupted run no longer exists; nothing to restore");
                journal.Complete(entry);
                continue;
            }
            try
            {
                // Before any git command: the checkout's .git as the agent set it up (the AI may have planted config or hooks).
                var saved = GitDirState.Load(journal.GitDirStatePath(entry));
                if (saved is not null) GitDirGuard.Restore(entry.Checkout, saved);
                else GitDirGuard.Canonicalize(entry.Checkout);
                CheckoutWorkspace.RestoreAsync(new CheckoutState(entry.Checkout, entry.BaseCommit, entry.HeadRef)).GetAwaiter().GetResult();
                journal.Complete(entry);
                lines.Add($"patchwire-agent: restored {entry.Checkout} to {entry.BaseCommit[..Math.Min(12, entry.BaseCommit.Length)]} after an interrupted run");
            }
            catch (Exception ex) when (ex is GitException or IOException or UnauthorizedAccessException)
            {
                log.LogError("Could not restore {Checkout} after an interrupted run: {Message}", entry.Checkout, ex.Message);
                lines.Add($"patchwire-agent: could not restore {entry.Checkout} after an interrupted run ({ex.Message}); will retry on the next start");
            }
        }
        foreach (var index in journal.OrphanIndexFiles()) RunJournal.TryDelete(index);
        lines.AddRange(worktrees.RemoveLeftovers());
        return lines;
    }

    /// <summary>
    /// Kills the processes of session <paramref name="sessionId"/> that work inside the checkout, and returns once
    /// they are gone: the checkout must not be reset under a process that is still writing to it. Requiring both the
    /// session and the folder keeps an unrelated process that happens to reuse the id safe.
    /// </summary>
    private void KillLeftovers(int sessionId, string checkout)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc")) return;
        var realCheckout = ProjectPaths.RealPath(checkout).TrimEnd('/') + "/";
        // SIGKILL takes effect only when the target next runs (late on a loaded box), and a process forked while
        // /proc was being listed can be missed by that pass: scan again until a pass finds none of them alive.
        var deadline = DateTime.UtcNow + KillWaitLimit;
        var sandboxes = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var alive = 0;
            foreach (var pid in LiveProcesses(sessionId, realCheckout, sandboxes))
            {
                ProcessGroup.KillProcess(pid);
                alive++;
            }
            if (alive == 0) return;
            if (DateTime.UtcNow > deadline)
            {
                log.LogWarning("{Count} process(es) of an interrupted run in {Checkout} did not die within {Seconds} s of SIGKILL", alive, checkout, KillWaitLimit.TotalSeconds);
                return;
            }
            Thread.Sleep(20);
        }
    }

    private static readonly TimeSpan KillWaitLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Processes, not yet exited (a zombie has), of the session whose working folder is in the checkout; and every
    /// process of the PID namespaces those live in, other than the agent's own: a sandboxed AI's children that left
    /// the session or the checkout die with their sandbox's PID 1, but only once it is fully gone may the checkout be
    /// reset. <paramref name="sandboxes"/> keeps the namespaces found across passes.
    /// </summary>
    private static List<int> LiveProcesses(int sessionId, string realCheckout, HashSet<string> sandboxes)
    {
        var found = new List<int>();
        var ownNamespace = PidNamespace("/proc/self");
        var others = new List<(int Pid, string Namespace)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after the parenthesised command name: state ppid pgrp session ...
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length < 4 || fields[0] is "Z" or "X") continue;
                var ns = PidNamespace(dir);
                if (ns is not null && ns != ownNamespace) others.Add((pid, ns));
                if (!int.TryParse(fields[3], out var session) || session != sessionId) continue;
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is null || !(cwd.TrimEnd('/') + "/").StartsWith(realCheckout, StringComparison.Ordinal)) continue;
                found.Add(pid);
                if (ns is not null && ns != ownNamespace) sandboxes.Add(ns);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        foreach (var (pid, ns) in others)
            if (sandboxes.Contains(ns) && !found.Contains(pid)) found.Add(pid);
        return found;
    }

    private static string? PidNamespace(string procDir)
    {
        try { return new FileInfo(Path.Combine(procDir, "ns", "pid")).LinkTarget; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }
}
