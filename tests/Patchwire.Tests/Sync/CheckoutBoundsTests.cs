namespace Patchwire.Tests.Sync;

/// <summary>PW_MAX_CHECKOUT_BYTES / PW_MAX_CHECKOUT_FILES at their defaults, and the pruning of snapshot history
/// (PW_SYNC_MAINTENANCE_SEC=0: after every sync), against the real agent.</summary>
public sealed class CheckoutBoundsTests : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private readonly TempDirectory _home = new("pw-bounds");
    private readonly TempDirectory _work = new("pw-bounds-work");
    private AgentProcess _agent = null!;
    private string _ana = "";

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_home.Path, new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "git",
            ["PW_SYNC_MAINTENANCE_SEC"] = "0",
        });
        _ana = _agent.AddUser("ana");
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _home.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task A_20_KB_upload_that_would_check_out_3_GB_is_refused_with_413_and_the_baseline_stays()
    {
        var snapshots = SnapshotBundles.Create(_work.Path);
        var code = snapshots.Blob("int main() { return 0; }\n");
        var first = snapshots.Commit(snapshots.Tree(new[] { ("100644", "main.c", code) }), null, "bomb");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "bomb", snapshots.Bundle("bomb")), 200);
        var checkout = GitRepoAt("bomb");
        var filesBefore = TreeListing.OnDisk(checkout.Path);

        // One 20 MiB blob of zeros, named 16 times in a tree that is itself named 10 times: 160 entries, 3.2 GiB on disk.
        var zeros = snapshots.Blob(new byte[20 * MiB]);
        var sixteen = snapshots.Tree(Enumerable.Range(0, 16).Select(i => ("100644", $"zero{i:00}.bin", zeros)));
        var bombTree = snapshots.Tree(Enumerable.Range(0, 10).Select(i => ("040000", $"d{i}", sixteen)).Append(("100644", "main.c", code)));
        snapshots.Commit(bombTree, first, "bomb");
        var bundle = snapshots.Bundle("bomb", first);
        Assert.True(bundle.Length < 40_000, $"the test bundle should be small, is {bundle.Length} bytes");

        var refused = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "bomb", bundle), 413);
        var error = refused.GetProperty("error").GetString()!;
        Assert.Contains("PW_MAX_CHECKOUT_BYTES", error);
        Assert.Contains("GiB", error);
        Assert.Equal("PW_MAX_CHECKOUT_BYTES", refused.GetProperty("setting").GetString());
        Assert.True(refused.GetProperty("bytes").GetInt64() > 2L * 1024 * MiB);

        Assert.Equal(first, await SnapshotBundles.BaselineAsync(_agent, _ana, "bomb"));
        Assert.Equal(filesBefore, TreeListing.OnDisk(checkout.Path));
        Assert.Single(Packs(checkout), p => p.EndsWith(".pack")); // the refused pack is gone again (the first one may have been repacked)
        Assert.NotEqual(0, checkout.TryGit("cat-file", "-e", zeros).ExitCode);

        // The same bomb as a first sync of a new project: the whole tree is measured, nothing is created.
        snapshots.Commit(bombTree, null, "bomb2");
        var full = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "bomb2", snapshots.Bundle("bomb2")), 413);
        Assert.Contains("PW_MAX_CHECKOUT_BYTES", full.GetProperty("error").GetString());
        Assert.False(Directory.Exists(Path.Combine(_agent.ProjectsRoot, "ana", "bomb2")));
    }

    [Fact]
    public async Task A_snapshot_of_300000_empty_files_is_refused_with_413_naming_PW_MAX_CHECKOUT_FILES()
    {
        var snapshots = SnapshotBundles.Create(_work.Path);
        var empty = snapshots.Blob(Array.Empty<byte>());
        var thousand = snapshots.Tree(Enumerable.Range(0, 1000).Select(i => ("100644", $"f{i:000}", empty)));
        var many = snapshots.Tree(Enumerable.Range(0, 300).Select(i => ("040000", $"d{i:000}", thousand)));

        snapshots.Commit(many, null, "many");
        var refused = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "many", snapshots.Bundle("many")), 413);
        Assert.Contains("PW_MAX_CHECKOUT_FILES", refused.GetProperty("error").GetString());
        Assert.Contains("200,000", refused.GetProperty("error").GetString());
        Assert.True(refused.GetProperty("files").GetInt64() > 200_000);
        Assert.False(Directory.Exists(Path.Combine(_agent.ProjectsRoot, "ana", "many")));

        // The limit is exact, first sync and incremental alike (a lowered limit keeps the checkouts small).
        Directory.CreateDirectory(_home.Combine("strict"));
        await using var strict = await AgentProcess.StartAsync(_home.Combine("strict"), new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "git",
            ["PW_MAX_CHECKOUT_FILES"] = "50",
        });
        var ben = strict.AddUser("ben");
        var ten = snapshots.Tree(Enumerable.Range(0, 10).Select(i => ("100644", $"f{i}", empty)));
        string Files(int tens, int extra) => snapshots.Tree(Enumerable.Range(0, tens).Select(i => ("040000", $"d{i}", ten))
            .Concat(Enumerable.Range(0, extra).Select(i => ("100644", $"x{i}", snapshots.Blob($"x{i}\n")))));
        snapshots.Commit(Files(5, 1), null, "few");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(strict, ben, "few", snapshots.Bundle("few")), 413);
        var first = snapshots.Commit(Files(4, 0), null, "few");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(strict, ben, "few", snapshots.Bundle("few")), 200);
        var atLimit = snapshots.Commit(Files(5, 0), first, "few");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(strict, ben, "few", snapshots.Bundle("few", first)), 200);
        snapshots.Commit(Files(4, 11), atLimit, "few");
        var over = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(strict, ben, "few", snapshots.Bundle("few", atLimit)), 413);
        Assert.Contains("PW_MAX_CHECKOUT_FILES (50 files)", over.GetProperty("error").GetString());
        Assert.Equal(51, over.GetProperty("files").GetInt64());
        Assert.Equal(atLimit, await SnapshotBundles.BaselineAsync(strict, ben, "few"));
        var checkout = Path.Combine(strict.ProjectsRoot, "ben", "few");
        Assert.Equal(50, Directory.EnumerateFiles(checkout, "*", SearchOption.AllDirectories).Count(f => !f.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar)));
        Assert.False(File.Exists(Path.Combine(checkout, "x0")));
    }

    [Fact]
    public async Task Old_snapshots_are_pruned_and_packs_merged_while_the_baseline_and_incremental_syncs_keep_working()
    {
        var snapshots = SnapshotBundles.Create(_work.Path);
        var random = new Random(15);
        string? parent = null;
        var blobs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var bytes = new byte[64 * 1024];
            random.NextBytes(bytes);
            blobs.Add(snapshots.Blob(bytes));
            var commit = snapshots.Commit(snapshots.Tree(new[] { ("100644", "data.bin", blobs[i]), ("100644", "keep.txt", snapshots.Blob("kept\n")) }), parent, "hist");
            await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "hist", snapshots.Bundle("hist", parent)), 200);
            parent = commit;
        }
        var checkout = GitRepoAt("hist");

        // The prune runs in the background after the sync answered; it is done when the older blobs are gone.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((checkout.TryGit("cat-file", "-e", blobs[0]).ExitCode == 0 || checkout.TryGit("cat-file", "-e", blobs[1]).ExitCode == 0 || Packs(checkout).Count(p => p.EndsWith(".pack")) != 1)
               && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.NotEqual(0, checkout.TryGit("cat-file", "-e", blobs[0]).ExitCode);
        Assert.NotEqual(0, checkout.TryGit("cat-file", "-e", blobs[1]).ExitCode);
        Assert.Single(Packs(checkout), p => p.EndsWith(".pack"));
        Assert.Equal(0, checkout.TryGit("cat-file", "-e", blobs[2]).ExitCode);
        Assert.Equal(parent, await SnapshotBundles.BaselineAsync(_agent, _ana, "hist"));
        checkout.Git("fsck", "--connectivity-only", "--no-dangling");
        Assert.Equal("", checkout.Git("status", "--porcelain"));

        // The next incremental sync builds on the kept baseline as before.
        var next = snapshots.Commit(snapshots.Tree(new[] { ("100644", "data.bin", blobs[2]), ("100644", "keep.txt", snapshots.Blob("changed\n")) }), parent, "hist");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(_agent, _ana, "hist", snapshots.Bundle("hist", parent)), 200);
        Assert.Equal(next, await SnapshotBundles.BaselineAsync(_agent, _ana, "hist"));
        Assert.Equal("changed\n", File.ReadAllText(Path.Combine(checkout.Path, "keep.txt")));
    }

    private GitRepo GitRepoAt(string project) => new(Path.Combine(_agent.ProjectsRoot, "ana", project));

    private static SortedSet<string> Packs(GitRepo repo)
    {
        var folder = Path.Combine(repo.Path, ".git", "objects", "pack");
        return new SortedSet<string>(Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Select(Path.GetFileName)! : Array.Empty<string>(), StringComparer.Ordinal);
    }
}
