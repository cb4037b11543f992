using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Runs;

/// <summary>
/// On start, before the port opens: every run the journal still lists was cut short by a crash or kill -9.
/// Its AI processes (which live in their own session and survive the agent) are killed, and its checkout is put
/// back to the pre-run state.
/// </summary>
public sealed class RunRecovery(RunJournal journal, ILogger<RunRecovery> log)
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
            if (!Directory.Exists(entry.Checkout))
            {
                lines.Add($"patchwire-agent: checkout {entry.Checkout} of an interrupted run no longer exists; nothing to restore");
                journal.Complete(entry);
                continue;
            }
            try
            {
                CheckoutWorkspace.RestoreAsync(new CheckoutState(entry.Checkout, entry.BaseCommit, entry.HeadRef)).GetAwaiter().GetResult();
                journal.Complete(entry);
                lines.Add($"patchwire-agent: restored {entry.Checkout} to {entry.BaseCommit[..Math.Min(12, entry.BaseCommit.Length)]} after an interrupted run");
            }
            catch (Exception ex) when (ex is GitException or IOException)
            {
                log.LogError("Could not restore {Checkout} after an interrupted run: {Message}", entry.Checkout, ex.Message);
                lines.Add($"patchwire-agent: could not restore {entry.Checkout} after an interrupted run ({ex.Message}); will retry on the next start");
            }
        }
        foreach (var index in journal.OrphanIndexFiles()) RunJournal.TryDelete(index);
        return lines;
    }

    /// <summary>
    /// Kills the processes of session <paramref name="sessionId"/> that work inside the checkout. Requiring both
    /// keeps an unrelated process that happens to reuse the id safe.
    /// </summary>
    private static void KillLeftovers(int sessionId, string checkout)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc")) return;
        var killed = 0;
        var realCheckout = ProjectPaths.RealPath(checkout).TrimEnd('/') + "/";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after the parenthesised command name: state ppid pgrp session ...
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length < 4 || !int.TryParse(fields[3], out var session) || session != sessionId) continue;
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is null || !(cwd.TrimEnd('/') + "/").StartsWith(realCheckout, StringComparison.Ordinal)) continue;
                if (ProcessGroup.KillProcess(pid)) killed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        if (killed > 0) Thread.Sleep(200); // SIGKILL is asynchronous; let them go before the tree is reset under them
    }
}
