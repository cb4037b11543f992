using System.Diagnostics;
using System.Text;

namespace Patchwire.Agent.Sync;

public sealed record GitRun(int ExitCode, string Stdout, string Stderr)
{
    public bool Success => ExitCode == 0;

    public string FirstErrorLine =>
        Stderr.Replace("\r", "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? $"exit code {ExitCode}";
}

/// <summary>
/// git on the agent, for syncs. Runs in a checkout with hooks disabled and the agent's own GIT_* variables removed,
/// so nothing a synced tree or the environment holds can run code or redirect writes.
/// </summary>
public static class AgentGit
{
    private static readonly string NoHooks = OperatingSystem.IsWindows() ? "NUL" : "/dev/null";

    public static async Task<GitRun> RunAsync(string workingDirectory, IEnumerable<string> args, CancellationToken cancellationToken, string? stdin = null, Encoding? outputEncoding = null)
    {
        var psi = StartInfo(workingDirectory, args, redirectStdin: stdin is not null, outputEncoding);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("git could not be started");
        using var registration = cancellationToken.Register(() =>
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        });
        var stdoutTask = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            catch (IOException) { }
        }
        await process.WaitForExitAsync(CancellationToken.None);
        var result = new GitRun(process.ExitCode, await stdoutTask, await stderrTask);
        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    /// <summary>A start description for git with our safety settings; stdin redirected when asked (binary via BaseStream).</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args, bool redirectStdin = false, Encoding? outputEncoding = null)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            StandardOutputEncoding = outputEncoding ?? Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // core.fsync=none: a sync is redone from the laptop if a power cut loses it, and an fsync right after a large
        // checkout waits for the whole filesystem journal (hundreds of ms for the next small sync).
        // The repository is always the checkout's own .git and the work tree the checkout itself, whatever its
        // config says (core.worktree could otherwise point a checkout at someone else's folder).
        var dotGit = Path.Combine(workingDirectory, ".git");
        if (Directory.Exists(dotGit))
        {
            psi.ArgumentList.Add("--git-dir=" + dotGit);
            psi.ArgumentList.Add("--work-tree=" + workingDirectory);
        }
        foreach (var a in new[] { "-c", "core.hooksPath=" + NoHooks, "-c", "core.fsmonitor=false", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.quotePath=false", "-c", "advice.detachedHead=false", "-c", "core.fsync=none" })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal) || k.StartsWith("PW_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["LC_ALL"] = "C";
        return psi;
    }

    public static async Task<string> RunCheckedAsync(string workingDirectory, IEnumerable<string> args, CancellationToken cancellationToken, string? stdin = null, Encoding? outputEncoding = null)
    {
        var list = args.ToList();
        var result = await RunAsync(workingDirectory, list, cancellationToken, stdin, outputEncoding);
        if (!result.Success) throw new GitFailedException($"git {Subcommand(list)} failed: {result.FirstErrorLine}");
        return result.Stdout;
    }

    private static string Subcommand(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "-c") { i++; continue; }
            if (!args[i].StartsWith('-')) return args[i];
        }
        return "";
    }
}

public sealed class GitFailedException(string message) : Exception(message);
