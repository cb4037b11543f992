using System.Collections.Concurrent;
using System.Globalization;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Sync;

/// <summary>
/// What the agent remembers about each synced checkout, outside the checkout (which the AI can write):
/// the size of its baseline (so the next sync's bound looks only at what changed), the recent baselines, and when its
/// history was last pruned. Under <c>$PW_HOME/agent-state/sync/USER/PROJECT/</c>, folders 0700, files 0600.
///
/// Snapshots arrive chained (each one's parent is the previous baseline), so without pruning every snapshot ever
/// synced stays reachable. At most once per <see cref="AgentOptions.SyncMaintenanceInterval"/> per project, in the
/// background and under the checkout's lock, the history is cut below the snapshots still needed (git's shallow
/// boundary), reflogs are expired, everything is repacked into one pack and loose objects are pruned.
/// Kept: the current baseline, HEAD, and every snapshot that was the baseline within the last interval (a queued run
/// may still name it; runs in the checkout hold its lock, so none is running meanwhile; while a run folder borrows the
/// checkout's objects, the prune waits for a later sync).
/// </summary>
public sealed class SnapshotHistory(AgentOptions options, CheckoutLocks locks, RunWorktrees worktrees, ILogger<SnapshotHistory> logger)
{
    private const string KeepRefs = "refs/patchwire/keep/";
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    public string Folder(string user, string project) => Path.Combine(options.StateDirectory, "sync", user, project);

    /// <summary>The recorded size of <paramref name="commit"/>'s checkout, or null when none is recorded for it.</summary>
    public CheckoutSize? ReadSize(string user, string project, string? commit)
    {
        if (commit is null) return null;
        var parts = ReadText(Path.Combine(Folder(user, project), "size"))?.Trim().Split(' ');
        if (parts is not { Length: 3 } || parts[0] != commit) return null;
        return long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) &&
               long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var files)
            ? new CheckoutSize(bytes, files) : null;
    }

    /// <summary>Records the new baseline and its size. Best effort: a failure only costs the next sync a whole-tree measure.</summary>
    public void RecordBaseline(string user, string project, string commit, CheckoutSize size)
    {
        try
        {
            var folder = EnsureFolder(user, project);
            AtomicFile.WriteAllText(Path.Combine(folder, "size"), string.Create(CultureInfo.InvariantCulture, $"{commit} {size.Bytes} {size.Files}\n"));
            var now = DateTimeOffset.UtcNow;
            var recent = RecentBaselines(user, project, now).Where(b => b.Commit != commit).Append((Commit: commit, At: now))
                .Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Commit} {b.At.ToUnixTimeSeconds()}\n"));
            AtomicFile.WriteAllText(Path.Combine(folder, "baselines"), string.Concat(recent));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not record the baseline of {User}/{Project}: {Message}", user, project, ex.Message);
        }
    }

    /// <summary>Starts a prune of the checkout's history in the background when the last one is older than the interval.</summary>
    public void ScheduleMaintenance(string user, string project, string checkout)
    {
        var folder = Folder(user, project);
        var stampFile = Path.Combine(folder, "maintained");
        if (ReadText(stampFile) is not { } stamp || !long.TryParse(stamp.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var last))
        {
            // A new checkout has nothing to prune yet; the clock starts now, so the sync right after the first one
            // never waits behind a repack of the tree that just arrived.
            try { EnsureFolder(user, project); AtomicFile.WriteAllText(stampFile, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "\n"); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            return;
        }
        if (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(last) < options.SyncMaintenanceInterval)
            return;
        var key = Path.GetFullPath(checkout);
        if (_running.ContainsKey(key)) return;
        var task = Task.Run(async () =>
        {
            try
            {
                using (await locks.AcquireAsync(checkout, CancellationToken.None))
                {
                    if (worktrees.IsLeased(checkout)) return; // the stamp stays old: the next sync tries again
                    await PruneAsync(user, project, checkout);
                }
                AtomicFile.WriteAllText(stampFile, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "\n");
            }
            catch (Exception ex)
            {
                logger.LogWarning("Pruning the snapshot history of {User}/{Project} failed: {Message}", user, project, ex.Message);
            }
            finally
            {
                _running.TryRemove(key, out _);
            }
        });
        _running.TryAdd(key, task);
    }

    /// <summary>Cuts, expires, repacks and prunes. The caller holds the checkout's lock.</summary>
    public async Task PruneAsync(string user, string project, string checkout)
    {
        var none = CancellationToken.None;
        var baseline = await CheckoutBaseline.CurrentAsync(checkout, none);
        if (baseline is null) return;
        var keep = new SortedSet<string>(StringComparer.Ordinal) { baseline };
        var head = await AgentGit.RunAsync(checkout, new[] { "rev-parse", "--verify", "--quiet", "HEAD^{commit}" }, none);
        if (head.Ok && BundleHeader.IsObjectId(head.Stdout.Trim())) keep.Add(head.Stdout.Trim());
        foreach (var (commit, _) in RecentBaselines(user, project, DateTimeOffset.UtcNow))
            if ((await AgentGit.RunAsync(checkout, new[] { "cat-file", "-e", commit + "^{commit}" }, none)).Ok) keep.Add(commit);

        // Snapshots other than the baseline stay reachable through refs of their own.
        var refs = new System.Text.StringBuilder();
        var existing = await AgentGit.RunCheckedAsync(checkout, new[] { "for-each-ref", "--format=%(refname)", KeepRefs }, none);
        foreach (var name in existing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (!keep.Contains(name.Substring(KeepRefs.Length)) || name.Substring(KeepRefs.Length) == baseline) refs.Append("delete ").Append(name).Append('\n');
        foreach (var commit in keep.Where(c => c != baseline)) refs.Append("update ").Append(KeepRefs).Append(commit).Append(' ').Append(commit).Append('\n');
        if (refs.Length > 0) await AgentGit.RunCheckedAsync(checkout, new[] { "update-ref", "--stdin" }, none, refs.ToString());

        // The shallow boundary: the kept snapshots' parents no longer count as reachable. Lines someone else put there
        // (a shallow clone) are kept; ours from the last prune are replaced.
        var shallowFile = Path.Combine(checkout, ".git", "shallow");
        var oursFile = Path.Combine(EnsureFolder(user, project), "shallow");
        var ours = Lines(ReadText(oursFile));
        var theirs = Lines(ReadText(shallowFile)).Where(l => !ours.Contains(l));
        var boundary = theirs.Concat(keep).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await File.WriteAllTextAsync(shallowFile, string.Concat(boundary.Select(c => c + "\n")), none);
        AtomicFile.WriteAllText(oursFile, string.Concat(keep.Select(c => c + "\n")));

        await AgentGit.RunCheckedAsync(checkout, new[] { "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all" }, none);
        await AgentGit.RunCheckedAsync(checkout, new[] { "-c", "pack.window=0", "-c", "repack.writeBitmaps=false", "repack", "-a", "-d", "-q" }, none);
        await AgentGit.RunCheckedAsync(checkout, new[] { "prune", "--expire=now" }, none);
        var packs = Path.Combine(checkout, ".git", "objects", "pack");
        if (Directory.Exists(packs))
            foreach (var leftover in Directory.EnumerateFiles(packs, "tmp_*").Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddHours(-1)))
                try { File.Delete(leftover); } catch (IOException) { }
        logger.LogInformation("sync {User}/{Project}: history pruned to {Kept} snapshot(s)", user, project, keep.Count);
    }

    /// <summary>Waits for a running prune of <paramref name="checkout"/>, if any (tests and orderly shutdown).</summary>
    public Task WhenIdleAsync(string checkout) =>
        _running.TryGetValue(Path.GetFullPath(checkout), out var task) ? task : Task.CompletedTask;

    private IEnumerable<(string Commit, DateTimeOffset At)> RecentBaselines(string user, string project, DateTimeOffset now)
    {
        foreach (var line in Lines(ReadText(Path.Combine(Folder(user, project), "baselines"))))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && BundleHeader.IsObjectId(parts[0]) && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
                if (now - at < options.SyncMaintenanceInterval) yield return (parts[0], at);
            }
        }
    }

    private string EnsureFolder(string user, string project)
    {
        var folder = Folder(user, project);
        foreach (var dir in new[] { options.StateDirectory, Path.Combine(options.StateDirectory, "sync"), Path.Combine(options.StateDirectory, "sync", user), folder })
        {
            if (Directory.Exists(dir)) continue;
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return folder;
    }

    private static HashSet<string> Lines(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    private static string? ReadText(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
