namespace Patchwire.Agent.Sync;

/// <summary>
/// The baseline of a checkout: the last snapshot a sync checked out there, kept on the private ref
/// refs/patchwire/baseline of the checkout's own repository. A checkout made by other means (git clone) has none.
/// Public for /ask and /chat, which may start a run from a baseline.
/// </summary>
public static class CheckoutBaseline
{
    public const string BaselineRef = "refs/patchwire/baseline";

    /// <summary>True when the checkout has its own .git directory (not a file or symlink that could point elsewhere).</summary>
    public static bool HasOwnRepository(string checkout)
    {
        var dotGit = new DirectoryInfo(Path.Combine(checkout, ".git"));
        return dotGit.Exists && dotGit.LinkTarget is null;
    }

    /// <summary>The checkout's baseline commit, or null when it has none (no checkout, no repository, never synced).</summary>
    public static async Task<string?> CurrentAsync(string checkout, CancellationToken cancellationToken)
    {
        if (!HasOwnRepository(checkout)) return null;
        var result = await AgentGit.RunAsync(checkout, new[] { "rev-parse", "--verify", "--quiet", BaselineRef + "^{commit}" }, cancellationToken);
        var id = result.Stdout.Trim();
        return result.Success && BundleHeader.IsObjectId(id) ? id : null;
    }

    /// <summary>True when the checkout's repository holds <paramref name="commit"/>.</summary>
    public static async Task<bool> HasCommitAsync(string checkout, string commit, CancellationToken cancellationToken) =>
        HasOwnRepository(checkout) && BundleHeader.IsObjectId(commit) &&
        (await AgentGit.RunAsync(checkout, new[] { "cat-file", "-e", commit + "^{commit}" }, cancellationToken)).Success;

    /// <summary>
    /// Puts the work tree at exactly <paramref name="commit"/>: tracked files forced to it, untracked files removed,
    /// ignored files (build outputs, caches) kept. The caller holds the checkout's lock.
    /// </summary>
    public static async Task ResetAsync(string checkout, string commit, CancellationToken cancellationToken)
    {
        await AgentGit.RunCheckedAsync(checkout, new[] { "checkout", "-q", "-f", "--detach", commit }, cancellationToken);
        await AgentGit.RunCheckedAsync(checkout, new[] { "clean", "-q", "-f", "-d" }, cancellationToken);
    }
}
