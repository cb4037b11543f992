namespace Patchwire.Tests.Sync;

/// <summary>
/// A full disk on the box, for real: the agent's PW_PROJECTS_ROOT is an 8 MiB tmpfs of 300 inodes mounted by the test. Mounting
/// needs root (CI runs as root on this kind of VM); elsewhere the test fails and says so rather than pass unproven.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly TempDirectory _home = new("pw-diskfull");
    private readonly TempDirectory _work = new("pw-diskfull-work");
    private AgentProcess? _agent;
    private string _mount = "";
    private bool _mounted;

    public async Task InitializeAsync()
    {
        if (OperatingSystem.IsWindows()) return;
        _mount = _home.Combine("projects");
        Directory.CreateDirectory(_mount);
        var mount = ProcessRunner.Run("mount", new[] { "-t", "tmpfs", "-o", "size=8m,nr_inodes=300,mode=0700", "tmpfs", _mount });
        Assert.True(mount.ExitCode == 0, "This test mounts a small tmpfs and needs root (as CI has): " + mount.Stderr);
        _mounted = true;
        _agent = await AgentProcess.StartAsync(_home.Path, new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "git",
            ["PW_PROJECTS_ROOT"] = _mount,
        });
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        if (_mounted) ProcessRunner.Run("umount", new[] { "-l", _mount });
        _home.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task A_full_disk_while_unpacking_or_checking_out_answers_507_and_keeps_the_previous_baseline()
    {
        if (OperatingSystem.IsWindows()) return;
        var agent = _agent!;
        var ana = agent.AddUser("ana");
        var snapshots = SnapshotBundles.Create(_work.Path);
        var readme = snapshots.Blob("# project\n");
        var first = snapshots.Commit(snapshots.Tree(new[] { ("100644", "README.md", readme) }), null, "p");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, ana, "p", snapshots.Bundle("p")), 200);
        var checkout = new GitRepo(Path.Combine(_mount, "ana", "p"));
        var before = TreeListing.OnDisk(checkout.Path);

        // 20 MiB of one letter: a 20 KB pack that fills the disk while the files are written.
        var letters = snapshots.Blob(Enumerable.Repeat((byte)'a', 20 * 1024 * 1024).ToArray());
        snapshots.Commit(snapshots.Tree(new[] { ("100644", "README.md", readme), ("100644", "big.txt", letters) }), first, "p");
        var checkoutFull = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, ana, "p", snapshots.Bundle("p", first)), 507);
        Assert.Contains("disk is full", checkoutFull.GetProperty("error").GetString());
        Assert.Contains("previous baseline", checkoutFull.GetProperty("message").GetString());
        AssertAtBaseline(agent, ana, checkout, first, before);

        // 12 MiB of noise: the pack itself does not fit.
        var noise = new byte[12 * 1024 * 1024];
        new Random(507).NextBytes(noise);
        snapshots.Commit(snapshots.Tree(new[] { ("100644", "README.md", readme), ("100644", "noise.bin", snapshots.Blob(noise)) }), first, "p");
        var packFull = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, ana, "p", snapshots.Bundle("p", first)), 507);
        Assert.Contains("disk is full", packFull.GetProperty("error").GetString());
        AssertAtBaseline(agent, ana, checkout, first, before);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(checkout.Path, ".git", "objects", "pack"), "tmp_*"));

        // 400 empty files: the bytes fit, the inodes run out half way through the checkout, which is undone.
        var empty = snapshots.Blob(Array.Empty<byte>());
        snapshots.Commit(snapshots.Tree(Enumerable.Range(0, 400).Select(i => ("100644", $"f{i:000}", empty)).Append(("100644", "README.md", readme))), first, "p");
        var inodesFull = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, ana, "p", snapshots.Bundle("p", first)), 507);
        Assert.Contains("disk is full", inodesFull.GetProperty("error").GetString());
        AssertAtBaseline(agent, ana, checkout, first, before);

        // The room is back: a small change syncs.
        var second = snapshots.Commit(snapshots.Tree(new[] { ("100644", "README.md", snapshots.Blob("# project, edited\n")) }), first, "p");
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, ana, "p", snapshots.Bundle("p", first)), 200);
        Assert.Equal(second, await SnapshotBundles.BaselineAsync(agent, ana, "p"));
        Assert.Equal("# project, edited\n", File.ReadAllText(Path.Combine(checkout.Path, "README.md")));
    }

    private static void AssertAtBaseline(AgentProcess agent, string token, GitRepo checkout, string baseline, SortedDictionary<string, string> files)
    {
        Assert.Equal(baseline, SnapshotBundles.BaselineAsync(agent, token, "p").GetAwaiter().GetResult());
        Assert.Equal(files, TreeListing.OnDisk(checkout.Path));
        Assert.Equal(baseline, checkout.Git("rev-parse", "HEAD").Trim());
        Assert.Equal("", checkout.Git("status", "--porcelain", "--untracked-files=all"));
    }
}
