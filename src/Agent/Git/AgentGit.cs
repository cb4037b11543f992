using System.Collections;
using System.Diagnostics;
using System.Text;
using CliWrap;
using Patchwire.Agent.Configuration;
using Patchwire.Core.Configuration;

namespace Patchwire.Agent.Git;

/// <summary>
/// The one way the agent runs git: capture, restore, sync, recovery, baseline and probes all come through here, with
/// one safety profile. The repository is always the checkout's own <c>.git</c> directory and the work tree the
/// checkout, whatever the repository's config or a <c>.git</c> file says; no hooks, no fsmonitor, no system or
/// global config, no pager, editor, ssh, askpass or credential helper, no transport, no replace refs, no background
/// gc; none of the agent's GIT_* or PW_* variables; no terminal prompt and no stdin unless the caller feeds one.
/// Filter, diff and textconv drivers that the checkout's own config could name are kept out by
/// <see cref="GitDirGuard"/>, which rewrites that config before the first git call after an AI run.
/// Every call has a deadline (<see cref="Deadline"/>): then git and its children are killed and a
/// <see cref="GitException"/> says so.
/// </summary>
public static class AgentGit
{
    public const string DeadlineVariable = "PW_GIT_TIMEOUT_SEC";
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(5);

    /// <summary>How long one git command may take. <c>PW_GIT_TIMEOUT_SEC</c>, default 300 s.</summary>
    public static TimeSpan Deadline { get; private set; } = DefaultDeadline;

    // Git for Windows maps /dev/null to NUL itself.
    private const string Nothing = "/dev/null";

    private static readonly string[] Profile =
    {
        "--no-pager", "--no-replace-objects",
        "-c", "core.hooksPath=" + Nothing,
        "-c", "core.fsmonitor=false",
        "-c", "core.untrackedCache=false",
        "-c", "core.pager=cat",
        "-c", "core.editor=false",
        "-c", "sequence.editor=false",
        "-c", "core.sshCommand=false",
        "-c", "core.askPass=",
        "-c", "credential.helper=",
        "-c", "core.attributesFile=" + Nothing,
        "-c", "core.excludesFile=" + Nothing,
        "-c", "diff.external=",
        "-c", "protocol.allow=never",
        "-c", "submodule.recurse=false",
        "-c", "gc.auto=0",
        "-c", "gc.autoDetach=false",
        "-c", "maintenance.auto=false",
        "-c", "color.ui=false",
        "-c", "core.quotePath=false",
        "-c", "diff.noprefix=false",
        "-c", "diff.mnemonicPrefix=false",
        "-c", "advice.detachedHead=false",
        // Windows: the checkout holds the snapshot's bytes as they are (a diff must not turn on line endings), and paths
        // past 260 characters work. Both are no-ops elsewhere, and pinned everywhere so the profile is one profile.
        "-c", "core.autocrlf=false",
        "-c", "core.longpaths=true",
    };

    /// <summary>The settings every git call carries (for tests and the README).</summary>
    internal static IReadOnlyList<string> PinnedSettings => Profile;

    /// <summary>Reads <c>PW_GIT_TIMEOUT_SEC</c> (whole seconds, 1 to 86400); a bad value stops the start.</summary>
    public static void ConfigureFromEnvironment(IDictionary? env = null)
    {
        env ??= System.Environment.GetEnvironmentVariables();
        var text = PatchwireHome.Get(env, DeadlineVariable);
        if (text is null) { Deadline = DefaultDeadline; return; }
        if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds < 1 || seconds > 86400)
            throw new ConfigurationException($"{DeadlineVariable} must be a whole number of seconds from 1 to 86400, got '{text}'.");
        Deadline = TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// Runs git in <paramref name="checkout"/>'s own repository. A non-zero exit is returned, not thrown.
    /// </summary>
    /// <param name="indexFile">An index file other than the repository's own (a run's private index).</param>
    /// <exception cref="GitException">The deadline passed (git was killed), or the checkout's .git is a file or link.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; git was killed.</exception>
    public static async Task<GitResult> RunAsync(string checkout, IEnumerable<string> args, CancellationToken cancellationToken = default,
        string? stdin = null, Encoding? outputEncoding = null, string? indexFile = null)
    {
        var input = stdin is null ? PipeSource.Null : PipeSource.FromString(stdin, new UTF8Encoding(false));
        return await ExecuteAsync(checkout, Pinned(checkout, args), input, outputEncoding, indexFile, cancellationToken, startDeadlineAfterInput: null);
    }

    /// <summary>Runs git and answers its standard output; a non-zero exit throws <see cref="GitException"/>.</summary>
    public static async Task<string> RunCheckedAsync(string checkout, IEnumerable<string> args, CancellationToken cancellationToken = default,
        string? stdin = null, Encoding? outputEncoding = null, string? indexFile = null)
    {
        var list = args as IReadOnlyList<string> ?? args.ToList();
        var result = await RunAsync(checkout, list, cancellationToken, stdin, outputEncoding, indexFile);
        if (!result.Ok) throw new GitException($"git {Subcommand(list)} failed ({result.ExitCode}): {result.FirstErrorLine}");
        return result.Stdout;
    }

    /// <summary>
    /// Runs git fed by <paramref name="writeInput"/> (a stream of any length, e.g. a pack as it arrives). The deadline
    /// starts when the input ends, so a slow upload is not cut short. An exception thrown by
    /// <paramref name="writeInput"/> closes git's input (git then fails on the truncated stream and cleans up after
    /// itself), and is thrown again once git has exited.
    /// </summary>
    public static async Task<GitResult> RunWithInputAsync(string checkout, IEnumerable<string> args,
        Func<Stream, CancellationToken, Task> writeInput, CancellationToken cancellationToken = default)
    {
        Exception? inputFailure = null;
        var inputDone = new CancellationTokenSource(); // no timer: nothing to dispose, and the input may end after git
        var input = PipeSource.Create(async (destination, _) =>
        {
            try { await writeInput(destination, cancellationToken); }
            catch (Exception ex) { inputFailure = ex; }
            finally { inputDone.Cancel(); }
        });
        // The caller's token stops the input, not git: a git killed mid-write leaves its temporary files behind.
        var result = await ExecuteAsync(checkout, Pinned(checkout, args), input, null, null, CancellationToken.None, inputDone.Token);
        if (inputFailure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inputFailure).Throw();
        return result;
    }

    /// <summary>Makes <paramref name="folder"/> a repository: <c>git init</c> with no template (so no sample hooks, no info/).</summary>
    public static async Task<GitResult> InitAsync(string folder, CancellationToken cancellationToken = default) =>
        await ExecuteAsync(folder, Profile.Concat(new[] { "init", "-q", "--template=", "--", Path.GetFullPath(folder) }).ToList(),
            PipeSource.Null, null, null, cancellationToken, startDeadlineAfterInput: null);

    private static List<string> Pinned(string checkout, IEnumerable<string> args)
    {
        var full = Path.GetFullPath(checkout);
        var dotGit = Path.Combine(full, ".git");
        if (GitDirGuard.IsFileOrLink(dotGit))
            throw new GitException($"{dotGit} is a file or a link, not the checkout's own repository; the agent does not run git through it");
        var list = new List<string> { "--git-dir=" + dotGit, "--work-tree=" + full };
        list.AddRange(Profile);
        list.AddRange(args);
        return list;
    }

    /// <summary>
    /// Runs git and hands each NUL-terminated record of its standard output to <paramref name="take"/> as it comes;
    /// when <paramref name="take"/> answers false git is stopped at once (an output that could be endless costs
    /// no more than what was read). Stopped is true then; otherwise the result is git's.
    /// </summary>
    public static async Task<(GitResult Result, bool Stopped)> RunRecordsAsync(string checkout, IEnumerable<string> args, Func<string, bool> take,
        CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stopped = false;
        var records = PipeTarget.Create(async (stream, token) =>
        {
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            var buffer = new char[64 * 1024];
            var record = new StringBuilder();
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), token)) > 0)
            {
                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != '\0') continue;
                    record.Append(buffer, start, i - start);
                    start = i + 1;
                    if (!take(record.ToString())) { stopped = true; stop.Cancel(); return; }
                    record.Clear();
                }
                record.Append(buffer, start, read - start);
            }
        });
        try
        {
            var result = await ExecuteAsync(checkout, Pinned(checkout, args), PipeSource.Null, null, null, stop.Token, startDeadlineAfterInput: null, records);
            return (result, false);
        }
        catch (OperationCanceledException) when (stopped && !cancellationToken.IsCancellationRequested)
        {
            return (new GitResult(-1, "", ""), true);
        }
    }

    /// <summary>
    /// Runs git keeping at most <paramref name="limit"/> bytes of its standard output, read as it comes. Output is
    /// null when git had more to say: then git is stopped at once and the rest is never read, so an output of any
    /// length costs no more than the limit. Otherwise the result is git's (a non-zero exit is returned, not thrown).
    /// </summary>
    public static async Task<(GitResult Result, CappedBytes? Output)> RunCappedAsync(string checkout, IEnumerable<string> args, long limit,
        string? indexFile = null, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CappedBytes? output = null;
        var overLimit = false;
        var target = PipeTarget.Create(async (stream, token) =>
        {
            output = await CappedBytes.ReadAsync(stream, limit, token).ConfigureAwait(false);
            if (output is not null) return;
            overLimit = true;
            stop.Cancel();
        });
        try
        {
            var result = await ExecuteAsync(checkout, Pinned(checkout, args), PipeSource.Null, null, indexFile, stop.Token, startDeadlineAfterInput: null, target);
            return (result, overLimit ? null : output);
        }
        catch (OperationCanceledException) when (overLimit && !cancellationToken.IsCancellationRequested)
        {
            return (new GitResult(-1, "", ""), null);
        }
    }

    private static async Task<GitResult> ExecuteAsync(string workingDirectory, IReadOnlyList<string> args, PipeSource input,
        Encoding? outputEncoding, string? indexFile, CancellationToken cancellationToken, CancellationToken? startDeadlineAfterInput,
        PipeTarget? stdoutTarget = null)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var deadline = new CancellationTokenSource();
        using var startDeadline = startDeadlineAfterInput is { } inputEnded
            ? inputEnded.Register(() =>
            {
                try { deadline.CancelAfter(Deadline); }
                catch (ObjectDisposedException) { }
            })
            : default;
        if (startDeadlineAfterInput is null) deadline.CancelAfter(Deadline);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var environment = GitEnvironment(indexFile);
        var command = Cli.Wrap("git")
            .WithArguments(args)
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(environment)
            .WithStandardInputPipe(input)
            .WithStandardOutputPipe(stdoutTarget ?? PipeTarget.ToStringBuilder(stdout, outputEncoding ?? new UTF8Encoding(false)))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr, new UTF8Encoding(false)))
            .WithValidation(CommandResultValidation.None);
        Process? process = null;
        using var job = Runs.ChildProcessJob.Create();
        // git and everything it started, whatever CliWrap's own cancellation kills.
        using var killTree = linked.Token.Register(() =>
        {
            try { process?.Kill(entireProcessTree: true); }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
        });
        try
        {
            var result = await command.ExecuteAsync(
                startInfo =>
                {
                    foreach (var key in startInfo.Environment.Keys.Where(k => IsScrubbed(k) && !environment.ContainsKey(k)).ToList())
                        startInfo.Environment.Remove(key);
                },
                started =>
                {
                    process = started;
                    job.Adopt(started);
                },
                linked.Token);
            return new GitResult(result.ExitCode, stdout.ToString(), stderr.ToString());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GitException($"git {Subcommand(args)} did not finish within {(int)Deadline.TotalSeconds} s ({DeadlineVariable}) and was stopped", timedOut: true);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitException("git could not be started: " + ex.Message);
        }
    }

    /// <summary>The agent's environment without GIT_* and PW_*, plus the settings that keep git to itself.</summary>
    private static Dictionary<string, string?> GitEnvironment(string? indexFile)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            if (IsScrubbed((string)entry.Key)) env[(string)entry.Key] = null;
        env["GIT_CONFIG_NOSYSTEM"] = "1";
        env["GIT_CONFIG_GLOBAL"] = Nothing;
        env["GIT_TERMINAL_PROMPT"] = "0";
        env["GIT_OPTIONAL_LOCKS"] = "0";
        env["GIT_ATTR_NOSYSTEM"] = "1";
        env["LC_ALL"] = "C";
        if (indexFile is not null) env["GIT_INDEX_FILE"] = indexFile;
        return env;
    }

    private static bool IsScrubbed(string variable) =>
        variable.StartsWith("GIT_", StringComparison.OrdinalIgnoreCase) || variable.StartsWith("PW_", StringComparison.OrdinalIgnoreCase);

    /// <summary>The subcommand, for messages: the first argument that is not an option (or the value of a -c).</summary>
    internal static string Subcommand(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "-c") { i++; continue; }
            if (!args[i].StartsWith('-')) return args[i];
        }
        return "";
    }
}
