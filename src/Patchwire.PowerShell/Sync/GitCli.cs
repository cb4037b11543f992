using System.Diagnostics;
using System.Management.Automation;
using System.Text;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Sync;

/// <summary>What a finished git command printed and returned.</summary>
public sealed class GitOutput(int exitCode, string stdout, string stderr)
{
    public int ExitCode { get; } = exitCode;
    public string Stdout { get; } = stdout;
    public string Stderr { get; } = stderr;
    public bool Success => ExitCode == 0;
}

/// <summary>A git failure worded for the person at the keyboard.</summary>
public sealed class GitCommandException(string message, string? stderr = null)
    : PatchwireException(message, ErrorIds.GitFailed, ErrorCategory.InvalidOperation)
{
    public string? Stderr { get; } = stderr;
}

/// <summary>
/// Runs the git CLI on the laptop (netstandard2.0: no ArgumentList, so arguments are quoted by hand).
/// The caller's own GIT_DIR/GIT_INDEX_FILE and similar variables never leak into our commands.
/// </summary>
public sealed class GitCli
{
    private static readonly string[] RepositoryVariables =
    {
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_QUARANTINE_PATH",
    };

    public GitCli(string workingDirectory, IReadOnlyList<string>? globalArgs = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        WorkingDirectory = workingDirectory;
        GlobalArgs = globalArgs ?? Array.Empty<string>();
        Environment = environment ?? new Dictionary<string, string>();
    }

    public string WorkingDirectory { get; }
    /// <summary>Options placed before the subcommand (--git-dir, -c name=value).</summary>
    public IReadOnlyList<string> GlobalArgs { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }

    public GitCli With(IReadOnlyDictionary<string, string> extraEnvironment, params string[] extraGlobalArgs)
    {
        var env = new Dictionary<string, string>(Environment.ToDictionary(kv => kv.Key, kv => kv.Value));
        foreach (var kv in extraEnvironment) env[kv.Key] = kv.Value;
        return new GitCli(WorkingDirectory, GlobalArgs.Concat(extraGlobalArgs).ToList(), env);
    }

    public async Task<GitOutput> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken, byte[]? stdin = null)
    {
        using var process = Start(args, redirectStdin: stdin is not null);
        using var registration = cancellationToken.Register(() => TryKill(process));
        var stdoutTask = ReadAllAsync(process.StandardOutput.BaseStream);
        var stderrTask = ReadAllAsync(process.StandardError.BaseStream);
        if (stdin is not null)
        {
            try
            {
                // No token here: a cancel kills git, which ends this write too; returning earlier would leave git dying
                // while the caller already cleans up after it.
                await process.StandardInput.BaseStream.WriteAsync(stdin, 0, stdin.Length).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException) { } // git exited early (or was killed); its stderr says why
        }
        var stdout = await stdoutTask.ConfigureAwait(false);
        var stderr = await stderrTask.ConfigureAwait(false);
        process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        return new GitOutput(process.ExitCode, Encoding.UTF8.GetString(stdout), Encoding.UTF8.GetString(stderr));
    }

    /// <summary>Runs and returns stdout, or throws <see cref="GitCommandException"/> with git's own message.</summary>
    public async Task<string> RunCheckedAsync(IEnumerable<string> args, CancellationToken cancellationToken, byte[]? stdin = null)
    {
        var list = args.ToList();
        var result = await RunAsync(list, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Success)
            throw new GitCommandException($"git {Describe(list)} failed: {FirstLines(result.Stderr)}", result.Stderr);
        return result.Stdout;
    }

    /// <summary>Starts git with stdout available as a stream (for bundles); the caller reads it and waits.</summary>
    public Process Start(IEnumerable<string> args, bool redirectStdin = false)
    {
        var psi = new ProcessStartInfo("git")
        {
            Arguments = string.Join(" ", GlobalArgs.Concat(args).Select(Quote)),
            WorkingDirectory = WorkingDirectory,
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
        };
        foreach (var name in RepositoryVariables) psi.EnvironmentVariables.Remove(name);
        psi.EnvironmentVariables["GIT_TERMINAL_PROMPT"] = "0";
        psi.EnvironmentVariables["LC_ALL"] = "C";
        foreach (var kv in Environment) psi.EnvironmentVariables[kv.Key] = kv.Value;
        try
        {
            return Process.Start(psi) ?? throw new GitCommandException("git could not be started.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitCommandException($"git is not installed or not on PATH ({ex.Message}). Patchwire needs git on the laptop: install it from https://git-scm.com and try again.");
        }
    }

    public static void TryKill(Process process)
    {
        try { if (!process.HasExited) process.Kill(); }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public static string FirstLines(string text, int lines = 4)
    {
        var kept = text.Replace("\r", "").Split('\n').Where(l => l.Trim().Length > 0).Take(lines);
        var joined = string.Join(" / ", kept).Trim();
        return joined.Length == 0 ? "(no message)" : joined;
    }

    private static string Describe(IReadOnlyList<string> args) =>
        args.FirstOrDefault(a => !a.StartsWith("-", StringComparison.Ordinal)) ?? "";

    /// <summary>Quotes one argument so both the Windows (CommandLineToArgvW) and .NET-on-Unix parsers give it back unchanged.</summary>
    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny(new[] { ' ', '\t', '\n', '\v', '"', '\\' }) < 0) return arg;
        var sb = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in arg)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"')
            {
                sb.Append('\\', backslashes * 2 + 1).Append('"');
            }
            else
            {
                sb.Append('\\', backslashes).Append(c);
            }
            backslashes = 0;
        }
        sb.Append('\\', backslashes * 2).Append('"');
        return sb.ToString();
    }
}
