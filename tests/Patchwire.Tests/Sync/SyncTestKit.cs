using System.Security.Cryptography;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Sync;

namespace Patchwire.Tests.Sync;

/// <summary>One real agent shared by the tests of a class, with users ana and ben. PW_MAX_BODY_BYTES is tiny so every
/// test also proves that /sync raises the body limit for itself.</summary>
public sealed class SyncAgentFixture : IAsyncLifetime
{
    public TempDirectory Home { get; } = new("pw-sync");
    public AgentProcess Agent { get; private set; } = null!;
    public string Ana { get; private set; } = "";
    public string Ben { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Home.Combine("agent"));
        Agent = await AgentProcess.StartAsync(Home.Combine("agent"), new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "git",
            ["PW_MAX_BODY_BYTES"] = "4096",
            ["PW_MAX_BUNDLE_BYTES"] = (200L * 1024 * 1024).ToString(),
        });
        Ana = Agent.AddUser("ana");
        Ben = Agent.AddUser("ben");
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        Home.Dispose();
    }

    public string Checkout(string user, string project) => Path.Combine(Agent.ProjectsRoot, user, project);

    public ClientSettings Settings(string token, string root, string project, params string[] excludes) => new()
    {
        AgentUrl = Agent.BaseUrl,
        Token = token,
        Project = project,
        ProjectRoot = root,
        Excludes = excludes,
        Home = Home.Combine("laptop"),
    };

    public Task<SyncResult> SyncAsync(string token, string root, string project, params string[] excludes) =>
        SyncAsync(Settings(token, root, project, excludes));

    public static async Task<SyncResult> SyncAsync(ClientSettings settings)
    {
        using var client = new AgentClient(settings);
        return await ProjectSync.SyncAsync(settings, client, null, CancellationToken.None);
    }
}

public static class TreeListing
{
    /// <summary>Every file under <paramref name="folder"/> (outside .git) as relative path → content hash (or link target).</summary>
    public static SortedDictionary<string, string> OnDisk(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0 }))
            Walk(folder, path, result);
        return result;
    }

    private static void Walk(string root, string path, SortedDictionary<string, string> result)
    {
        var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
        if (relative == ".git") return;
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target) { result[relative] = "link:" + target; return; }
        if (Directory.Exists(path))
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions { AttributesToSkip = 0 }))
                Walk(root, child, result);
            return;
        }
        using var stream = File.OpenRead(path);
        result[relative] = Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>What a sync should carry, computed independently by git: tracked plus untracked-not-ignored files that exist.</summary>
    public static SortedDictionary<string, string> Expected(string repo)
    {
        var listed = ProcessRunner.Run("git", new[] { "-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard" }, repo)
            .EnsureSuccess("git ls-files").Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var all = OnDisk(repo);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in listed.Distinct())
            if (all.TryGetValue(path, out var hash)) result[path] = hash;
        return result;
    }
}

public static class UserState
{
    /// <summary>HEAD, the index bytes, refs (outside refs/patchwire), the stash and every reflog, for before/after comparison.</summary>
    public static string Capture(GitRepo repo)
    {
        var gitDir = Path.Combine(repo.Path, ".git");
        var parts = new List<string>
        {
            "HEAD=" + File.ReadAllText(Path.Combine(gitDir, "HEAD")),
            "index=" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(gitDir, "index")))),
            "refs=" + string.Join("\n", repo.Git("for-each-ref", "--format=%(refname) %(objectname)").Split('\n').Where(l => !l.StartsWith("refs/patchwire/", StringComparison.Ordinal))),
            "stash=" + repo.TryGit("stash", "list").Stdout,
            // GIT_OPTIONAL_LOCKS=0: status must not refresh the very index we compare.
            "status=" + ProcessRunner.Run("git", new[] { "status", "--porcelain", "--untracked-files=all" }, repo.Path, new Dictionary<string, string?> { ["GIT_OPTIONAL_LOCKS"] = "0" }).Stdout,
        };
        var logs = Path.Combine(gitDir, "logs");
        if (Directory.Exists(logs))
            foreach (var file in Directory.EnumerateFiles(logs, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                parts.Add("log " + Path.GetRelativePath(gitDir, file) + "=" + File.ReadAllText(file));
        return string.Join("\n", parts);
    }
}
