using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Patchwire.Tests.Sync;

/// <summary>Bundles posted straight to the agent, as an attacker holding a valid token would: each is refused, and
/// nothing is written outside the caller's folder (nor, for a new project, inside it).</summary>
public sealed class HostileBundleTests : IAsyncLifetime
{
    private readonly TempDirectory _home = new("pw-hostile");
    private readonly TempDirectory _work = new("pw-hostile-work");
    private AgentProcess _agent = null!;
    private string _ana = "";
    private string _ben = "";

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_home.Path, new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "git",
            ["PW_MAX_BODY_BYTES"] = "4096",
            ["PW_MAX_BUNDLE_BYTES"] = "300000",
        });
        _ana = _agent.AddUser("ana");
        _ben = _agent.AddUser("ben");
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _home.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task Corrupt_truncated_and_foreign_bytes_are_refused_and_leave_nothing_behind()
    {
        var outside = OutsideAnasFolder();
        var valid = MakeBundle(SnapshotRepo("p1"), "refs/patchwire/snapshots/p1");
        var random = new byte[20000];
        new Random(5).NextBytes(random);
        var flipped = (byte[])valid.Clone();
        for (var i = flipped.Length - 200; i < flipped.Length - 100; i++) flipped[i] ^= 0x5a;

        await AssertRefused(await PostAsync("p1", random), 400, "invalid bundle");
        await AssertRefused(await PostAsync("p1", Array.Empty<byte>()), 400, "invalid bundle");
        await AssertRefused(await PostAsync("p1", valid[..(valid.Length / 2)]), 400, "invalid bundle");
        await AssertRefused(await PostAsync("p1", flipped), 400, "invalid bundle");
        await AssertRefused(await PostAsync("p1", Encoding.ASCII.GetBytes("# v2 git bundle\n" + new string('a', 40) + " refs/patchwire/snapshots/p1\n\nPACKnonsense")), 400, "invalid bundle");

        Assert.False(Directory.Exists(Checkout("p1")));
        AssertNothingLeft(outside);
    }

    [Fact]
    public async Task Bundles_with_other_or_odd_ref_names_are_refused()
    {
        var outside = OutsideAnasFolder();
        var repo = SnapshotRepo("p2");
        repo.Git("update-ref", "refs/heads/evil", "refs/patchwire/snapshots/p2");
        repo.Git("update-ref", "refs/patchwire/snapshots/other", "refs/patchwire/snapshots/p2");

        await AssertRefused(await PostAsync("p2", MakeBundle(repo, "refs/heads/evil")), 400, "exactly one ref");
        await AssertRefused(await PostAsync("p2", MakeBundle(repo, "refs/patchwire/snapshots/other")), 400, "exactly one ref");
        await AssertRefused(await PostAsync("p2", MakeBundle(repo, "refs/patchwire/snapshots/p2", "refs/heads/evil")), 400, "exactly one ref");
        // A hand-made header naming a ref that climbs out, in front of a real pack.
        var real = MakeBundle(repo, "refs/patchwire/snapshots/p2");
        var pack = real.AsSpan(IndexOfPack(real)).ToArray();
        var commit = repo.Git("rev-parse", "refs/patchwire/snapshots/p2").Trim();
        foreach (var name in new[] { "refs/patchwire/snapshots/p2/../../../../escape", "../../config", "refs/patchwire/snapshots/p2\u0000x" })
        {
            var forged = Encoding.UTF8.GetBytes($"# v2 git bundle\n{commit} {name}\n\n").Concat(pack).ToArray();
            await AssertRefused(await PostAsync("p2", forged), 400, "invalid bundle");
        }

        Assert.False(Directory.Exists(Checkout("p2")));
        AssertNothingLeft(outside);
    }

    [Fact]
    public async Task Trees_with_dot_git_or_dot_dot_entries_and_links_out_of_the_checkout_are_refused()
    {
        var outside = OutsideAnasFolder();
        // A tree holding ".git/config" with a hook path, and one holding "..": git's fsck must catch both.
        foreach (var (name, project) in new[] { (".git", "p3"), ("..", "p4"), (".GIT", "p5") })
        {
            var repo = GitRepo.Init(_work.Combine("forge-" + project), withCommit: false);
            var config = HashObject(repo, "blob", Encoding.UTF8.GetBytes("[core]\n\thooksPath = /tmp\n"));
            var inner = HashObject(repo, "tree", TreeEntry("100644", "config", config));
            var outer = HashObject(repo, "tree", TreeEntry("40000", name, inner));
            var commit = repo.Git("commit-tree", outer, "-m", "evil").Trim();
            repo.Git("update-ref", "refs/patchwire/snapshots/" + project, commit);
            await AssertRefused(await PostAsync(project, MakeBundle(repo, "refs/patchwire/snapshots/" + project)), 400, "invalid bundle");
            Assert.False(Directory.Exists(Checkout(project)));
        }

        if (!OperatingSystem.IsWindows())
        {
            foreach (var target in new[] { "/etc/passwd", "../../../ben", "sub/../../.." })
            {
                var repo = GitRepo.Init(_work.Combine("links-" + Guid.NewGuid().ToString("N")[..6]), withCommit: false);
                repo.Write("ok.txt", "fine\n");
                Directory.CreateDirectory(Path.Combine(repo.Path, "sub"));
                File.CreateSymbolicLink(Path.Combine(repo.Path, "sub", "link"), target);
                repo.CommitAll("link");
                repo.Git("update-ref", "refs/patchwire/snapshots/p6", "HEAD");
                var response = await PostAsync("p6", MakeBundle(repo, "refs/patchwire/snapshots/p6"));
                await AssertRefused(response, 400, "unsafe snapshot");
                Assert.False(Directory.Exists(Checkout("p6")));
            }
        }
        AssertNothingLeft(outside);
    }

    [Fact]
    public async Task Links_that_leave_the_checkout_only_once_resolved_are_refused_and_the_previous_baseline_stays()
    {
        if (OperatingSystem.IsWindows()) return;
        var benApp = Path.Combine(_agent.ProjectsRoot, "ben", "app");
        Directory.CreateDirectory(benApp);
        File.WriteAllText(Path.Combine(benApp, "secret.txt"), "ben's\n");
        // A first baseline whose links chain but stay inside: it must sync.
        var repo = GitRepo.Init(_work.Combine("chains"));
        repo.Write("sub/code.txt", "code\n");
        repo.Write(".gitignore", "out\n");
        Link(repo, "s", ".");
        Link(repo, "inner", "s/sub/../sub/code.txt");
        Link(repo, "sub/up", "..");
        repo.CommitAll("inside links");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("p12", Bundle(repo, "p12"))).StatusCode);
        var checkout = new GitRepo(Checkout("p12"));
        var baseline = checkout.Git("rev-parse", "refs/patchwire/baseline").Trim();
        Assert.Equal("code\n", File.ReadAllText(Path.Combine(checkout.Path, "inner")));
        var listing = TreeListing.OnDisk(checkout.Path);
        var outside = OutsideAnasFolder();

        // Each passes the link-text check (no absolute target, no ".." past the top) and escapes once resolved.
        var variants = new (string Link, string Target)[]
        {
            ("x", "s/s/../../ben/app"),                 // the chain from the review: s -> ., then up twice
            ("y", "sub/up/sub/up/../../ben/app"),       // through a link to ".." inside
            ("z", "s/s/../../zed"),                     // to a user folder that does not exist yet
            ("root", string.Concat(Enumerable.Repeat("s/", 16)) + string.Concat(Enumerable.Repeat("../", 16)) + "etc"), // up to / and down
            ("to-link", "x"),                           // a link to a link that escapes (x added with it)
            ("git", ".git/config"),                     // into the checkout's own repository
            ("git-chain", "s/s/.git/hooks"),
        };
        foreach (var (link, target) in variants)
        {
            repo.Git("checkout", "-q", "main");
            repo.Git("checkout", "-q", "-B", "try-" + link);
            if (link == "to-link") Link(repo, "x", "s/s/../../ben/app");
            Link(repo, link, target);
            repo.CommitAll("escape " + link);
            var response = await PostAsync("p12", Bundle(repo, "p12"));
            await AssertRefused(response, 400, "unsafe snapshot");
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
            Assert.Contains($"symlink '{link}'", error);
            Assert.Equal(listing, TreeListing.OnDisk(checkout.Path));
            Assert.Equal(baseline, checkout.Git("rev-parse", "refs/patchwire/baseline").Trim());
            Assert.Equal(baseline, checkout.Head);
            Assert.Equal("", checkout.Git("status", "--porcelain", "--untracked-files=all"));
        }

        // An ignored link left on disk (as an AI could leave it) that a tracked link goes through.
        File.CreateSymbolicLink(Path.Combine(checkout.Path, "out"), "../../ben");
        repo.Git("checkout", "-q", "main");
        repo.Git("checkout", "-q", "-B", "through-ignored");
        Link(repo, "via", "out/app");
        repo.CommitAll("via an ignored link");
        await AssertRefused(await PostAsync("p12", Bundle(repo, "p12")), 400, "symlink 'via' points outside the project");
        Assert.Equal(baseline, checkout.Head);
        File.Delete(Path.Combine(checkout.Path, "out"));
        Assert.Equal(listing, TreeListing.OnDisk(checkout.Path));

        // A new project: refused and not created. A clone with no baseline: its branch and files come back.
        await AssertRefused(await PostAsync("p13", Bundle(repo, "p13", "try-x")), 400, "symlink 'x'");
        Assert.False(Directory.Exists(Checkout("p13")));
        var clone = GitRepo.Init(Checkout("p14"));
        clone.Write("mine.txt", "the admin's clone\n");
        clone.CommitAll("clone");
        var cloneHead = clone.Head;
        await AssertRefused(await PostAsync("p14", Bundle(repo, "p14", "try-y")), 400, "symlink 'y'");
        Assert.Equal("refs/heads/main", clone.Git("symbolic-ref", "HEAD").Trim());
        Assert.Equal(cloneHead, clone.Head);
        Assert.Equal("", clone.Git("status", "--porcelain", "--untracked-files=all"));
        Assert.Equal("the admin's clone\n", File.ReadAllText(Path.Combine(clone.Path, "mine.txt")));

        AssertNothingLeft(outside);
        Assert.Equal(new[] { "secret.txt" }, Directory.EnumerateFileSystemEntries(benApp).Select(Path.GetFileName));
    }

    private static void Link(GitRepo repo, string path, string target)
    {
        var full = Path.Combine(repo.Path, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (new FileInfo(full).LinkTarget is not null) File.Delete(full);
        File.CreateSymbolicLink(full, target);
    }

    private byte[] Bundle(GitRepo repo, string project, string from = "HEAD")
    {
        repo.Git("update-ref", "refs/patchwire/snapshots/" + project, from);
        return MakeBundle(repo, "refs/patchwire/snapshots/" + project);
    }

    [Fact]
    public async Task A_bundle_that_builds_on_a_missing_commit_gets_409_and_an_existing_checkout_is_unchanged()
    {
        var repo = SnapshotRepo("p7");
        var first = repo.Git("rev-parse", "refs/patchwire/snapshots/p7").Trim();
        var full = await PostAsync("p7", MakeBundle(repo, "refs/patchwire/snapshots/p7"));
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        var listing = TreeListing.OnDisk(Checkout("p7"));

        var other = GitRepo.Init(_work.Combine("other-p7"));
        other.Write("x.txt", "unrelated\n");
        other.CommitAll("x");
        var orphanBase = other.Head;
        other.Write("x.txt", "changed\n");
        other.CommitAll("y");
        other.Git("update-ref", "refs/patchwire/snapshots/p7", "HEAD");
        var incremental = MakeBundle(other, "refs/patchwire/snapshots/p7", "^" + orphanBase);

        var response = await PostAsync("p7", incremental);
        await AssertRefused(response, 409, "bundle base missing");
        Assert.Equal(listing, TreeListing.OnDisk(Checkout("p7")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Checkout("p7"), ".git", "objects"), "tmp_*", SearchOption.AllDirectories));

        // A proper incremental bundle on the real baseline, cut short: refused, checkout and baseline unchanged, no temporary pack left.
        repo.Write("more.txt", string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i} {Guid.NewGuid()}\n")));
        repo.CommitAll("more");
        repo.Git("update-ref", "refs/patchwire/snapshots/p7", "HEAD");
        var next = MakeBundle(repo, "refs/patchwire/snapshots/p7", "^" + first);
        await AssertRefused(await PostAsync("p7", next[..(next.Length - 50)]), 400, "invalid bundle");
        Assert.Equal(listing, TreeListing.OnDisk(Checkout("p7")));
        Assert.Equal(first, new GitRepo(Checkout("p7")).Git("rev-parse", "refs/patchwire/baseline").Trim());
        Assert.Equal(first, new GitRepo(Checkout("p7")).Head);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Checkout("p7"), ".git", "objects"), "tmp_*", SearchOption.AllDirectories));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("p7", next)).StatusCode);
        Assert.True(File.Exists(Path.Combine(Checkout("p7"), "more.txt")));
    }

    [Fact]
    public async Task A_body_over_PW_MAX_BUNDLE_BYTES_gets_413_with_or_without_a_length()
    {
        var outside = OutsideAnasFolder();
        var huge = new byte[1_000_000];
        new Random(9).NextBytes(huge);
        Encoding.ASCII.GetBytes("# v2 git bundle\n").CopyTo(huge, 0);

        await AssertRefused(await PostAsync("p8", huge), 413, "bundle too large");
        await AssertRefused(await PostAsync("p8", huge, chunked: true), 413, "bundle too large");

        AssertNothingLeft(outside);
        Assert.False(Directory.Exists(Path.Combine(_agent.ProjectsRoot, "ana")), "a refused upload must not even create the user's folder");
    }

    [Fact]
    public async Task Bad_names_and_bad_tokens_are_refused_before_anything_is_read()
    {
        var bundle = MakeBundle(SnapshotRepo("p9"), "refs/patchwire/snapshots/p9");
        // ("." and ".." (even as %2E%2E) never reach the route: the client and Kestrel collapse dot segments.)
        foreach (var name in new[] { "..%2F..%2Fben", "CON", "a%2Fb", "a%5Cb", "with%20space", "x%3A", new string('x', 65) })
        {
            await AssertRefused(await PostAsync(name, bundle), 400, "invalid project name");
            using var client = _agent.Client(_ana);
            var get = await client.GetAsync("/sync/" + name);
            await AssertRefused(get, 400, "invalid project name");
        }
        // Kestrel itself refuses a NUL in the path, before any route.
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("a%00b", bundle)).StatusCode);
        using (var anonymous = _agent.Client("pw_" + new string('0', 64)))
        {
            var response = await anonymous.PostAsync("/sync/p9", new ByteArrayContent(bundle));
            await AssertRefused(response, 401, "unauthorized");
        }
        _agent.Registry.SetDisabled("ben", true);
        using (var disabled = _agent.Client(_ben))
        {
            await AssertRefused(await disabled.PostAsync("/sync/p9", new ByteArrayContent(bundle)), 403, "user disabled");
            await AssertRefused(await disabled.GetAsync("/sync/p9"), 403, "user disabled");
        }
        Assert.False(Directory.Exists(Path.Combine(_agent.ProjectsRoot, "ben")));
        Assert.False(Directory.Exists(Path.Combine(_agent.ProjectsRoot, "ana")));
    }

    [Fact]
    public async Task A_symlinked_project_folder_leading_out_of_the_users_folder_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        var bundle = MakeBundle(SnapshotRepo("p10"), "refs/patchwire/snapshots/p10");
        var benFolder = Path.Combine(_agent.ProjectsRoot, "ben", "victim");
        Directory.CreateDirectory(benFolder);
        Directory.CreateDirectory(Path.Combine(_agent.ProjectsRoot, "ana"));
        File.CreateSymbolicLink(Checkout("p10"), benFolder);

        await AssertRefused(await PostAsync("p10", bundle), 400, "invalid project name");
        Assert.Empty(Directory.EnumerateFileSystemEntries(benFolder));
    }

    [Fact]
    public async Task A_checkout_whose_repository_or_work_tree_points_elsewhere_is_never_written_through()
    {
        if (OperatingSystem.IsWindows()) return;
        var victim = GitRepo.Init(_work.Combine("victim"));
        var victimBefore = TreeListing.OnDisk(victim.Path);
        var victimRefs = victim.Git("for-each-ref");
        var bundle = MakeBundle(SnapshotRepo("p11"), "refs/patchwire/snapshots/p11");

        // .git as a link to another repository.
        Directory.CreateDirectory(Checkout("p11"));
        File.CreateSymbolicLink(Path.Combine(Checkout("p11"), ".git"), Path.Combine(victim.Path, ".git"));
        await AssertRefused(await PostAsync("p11", bundle), 409, "checkout is not syncable");

        // A real repository whose config names another work tree: ignored, the files land in the checkout.
        Directory.Delete(Checkout("p11"), recursive: true);
        var checkout = GitRepo.Init(Checkout("p11"));
        checkout.Git("config", "core.worktree", victim.Path);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("p11", bundle)).StatusCode);
        Assert.True(File.Exists(Path.Combine(Checkout("p11"), "code.txt")));

        Assert.Equal(victimBefore, TreeListing.OnDisk(victim.Path));
        Assert.Equal(victimRefs, victim.Git("for-each-ref"));
    }

    private string Checkout(string project) => Path.Combine(_agent.ProjectsRoot, "ana", project);

    private GitRepo SnapshotRepo(string project)
    {
        var repo = GitRepo.Init(_work.Combine("src-" + project + "-" + Guid.NewGuid().ToString("N")[..6]));
        repo.Write("code.txt", "some code for " + project + "\n");
        repo.CommitAll("code");
        repo.Git("update-ref", "refs/patchwire/snapshots/" + project, "HEAD");
        return repo;
    }

    private byte[] MakeBundle(GitRepo repo, params string[] revisions)
    {
        var file = _work.Combine("b-" + Guid.NewGuid().ToString("N") + ".bundle");
        repo.Git(new[] { "bundle", "create", "-q", file }.Concat(revisions).ToArray());
        return File.ReadAllBytes(file);
    }

    private static string HashObject(GitRepo repo, string type, byte[] content)
    {
        var file = Path.GetTempFileName();
        File.WriteAllBytes(file, content);
        try { return repo.Git("hash-object", "-t", type, "-w", "--literally", file).Trim(); }
        finally { File.Delete(file); }
    }

    private static byte[] TreeEntry(string mode, string name, string id) =>
        Encoding.UTF8.GetBytes(mode + " " + name + "\0").Concat(Convert.FromHexString(id)).ToArray();

    private static int IndexOfPack(byte[] bundle)
    {
        for (var i = 0; i + 1 < bundle.Length; i++)
            if (bundle[i] == '\n' && bundle[i + 1] == '\n') return i + 2;
        throw new InvalidOperationException("no pack");
    }

    private async Task<HttpResponseMessage> PostAsync(string project, byte[] body, bool chunked = false)
    {
        using var client = _agent.Client(_ana);
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sync/" + project) { Content = content };
        if (chunked) request.Headers.TransferEncodingChunked = true;
        return await client.SendAsync(request);
    }

    private static async Task AssertRefused(HttpResponseMessage response, int status, string errorPart)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode} for {response.RequestMessage?.RequestUri}: {text}");
        Assert.True(text.StartsWith('{'), $"expected a JSON error for {response.RequestMessage?.RequestUri}, got '{text}'");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString();
        Assert.Contains(errorPart, error);
    }

    /// <summary>Every file of the agent's state outside projects/ana, with its size and time (users.json changes with last-seen times).</summary>
    private Dictionary<string, (long, DateTime)> OutsideAnasFolder()
    {
        var anaFolder = Path.Combine(_agent.ProjectsRoot, "ana") + Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(_home.Path, "*", NoLinks)
            .Where(f => !f.StartsWith(anaFolder, StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("users.json", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith(".users.json", StringComparison.Ordinal))
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));
    }

    private void AssertNothingLeft(Dictionary<string, (long, DateTime)> before)
    {
        Assert.Equal(before.OrderBy(kv => kv.Key), OutsideAnasFolder().OrderBy(kv => kv.Key));
        var anaFolder = Path.Combine(_agent.ProjectsRoot, "ana");
        if (Directory.Exists(anaFolder))
            Assert.Empty(Directory.EnumerateFiles(anaFolder, "tmp_*", NoLinks));
    }

    /// <summary>Recursion that does not follow links: a checkout may hold "s -> .", which .NET would walk forever.</summary>
    private static readonly EnumerationOptions NoLinks = new() { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
}
