using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Patch;

/// <summary>
/// Synchronous git calls for applying patches and the doctor, on the one laptop git runner
/// (<see cref="Sync.GitCli"/>: argument quoting, scrubbed GIT_DIR/GIT_INDEX_FILE, C locale).
/// </summary>
public static class GitCli
{
    public static GitOutput Run(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var git = new Sync.GitCli(workingDirectory, null, environment is null ? null : new Dictionary<string, string>(environment));
        try
        {
            return git.RunAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (GitCommandException ex)
        {
            // The only failure RunAsync reports this way is git not starting at all.
            throw new InvalidOperationException("git was not found on PATH. Install git (https://git-scm.com) and try again.", ex);
        }
    }

    public static GitOutput Run(string workingDirectory, params string[] args) => Run(workingDirectory, args, null);
}
