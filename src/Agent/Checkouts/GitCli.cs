using System.Diagnostics;
using System.Text;

namespace Patchwire.Agent.Checkouts;

/// <summary>The result of one git command.</summary>
public sealed record GitResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;
}

/// <summary>A git command failed where it must not.</summary>
public sealed class GitException(string message) : Exception(message);

/// <summary>
/// Runs the git CLI in a folder with settings that make its output stable whatever the box's git config says
/// (no colours, no pager, standard a/ b/ prefixes, no external diff drivers).
/// </summary>
public static class GitCli
{
    private static readonly string[] StableConfig =
    {
        "-c", "color.ui=false", "-c", "core.quotePath=false", "-c", "diff.noprefix=false",
        "-c", "diff.mnemonicPrefix=false", "-c", "diff.external=", "-c", "core.pager=cat",
    };

    public static async Task<GitResult> RunAsync(string workingDirectory, IEnumerable<string> args,
        IDictionary<string, string>? env = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var a in StableConfig) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        psi.Environment["LC_ALL"] = "C";
        psi.Environment.Remove("GIT_INDEX_FILE");
        psi.Environment.Remove("GIT_DIR");
        psi.Environment.Remove("GIT_WORK_TREE");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;

        using var process = Process.Start(psi) ?? throw new GitException("could not start git");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new GitResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    public static Task<GitResult> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, args, null, CancellationToken.None);

    /// <summary>Runs git and throws <see cref="GitException"/> on a non-zero exit.</summary>
    public static async Task<string> CheckedAsync(string workingDirectory, IEnumerable<string> args,
        IDictionary<string, string>? env = null, CancellationToken cancellationToken = default)
    {
        var list = args as IReadOnlyList<string> ?? args.ToList();
        var result = await RunAsync(workingDirectory, list, env, cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
            throw new GitException($"git {string.Join(' ', list)} failed ({result.ExitCode}): {result.Stderr.Trim()}");
        return result.Stdout;
    }

    public static Task<string> CheckedAsync(string workingDirectory, params string[] args) =>
        CheckedAsync(workingDirectory, args, null, CancellationToken.None);
}
