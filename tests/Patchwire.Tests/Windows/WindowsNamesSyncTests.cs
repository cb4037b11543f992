using System.Net;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.Tests.Sync;

namespace Patchwire.Tests.Windows;

/// <summary>
/// A real agent started with PW_NAME_RULES=windows (or macos) holds snapshots and project names to that file system's
/// rules on this Linux box: a snapshot Windows could not check out is refused with a 400 naming the paths, nothing is
/// checked out and the previous baseline stays; 'App' and 'app' are one checkout. Trailing dots in project names are
/// refused on every OS.
/// </summary>
public sealed class WindowsNamesSyncTests : IAsyncLifetime
{
    private readonly TempDirectory _home = new("pw-winnames");
    private readonly TempDirectory _work = new("pw-winnames-work");
    private AgentProcess? _agent;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        _home.Dispose();
        _work.Dispose();
    }

    private async Task<(AgentProcess Agent, string Token)> StartAsync(string? rules)
    {
        var env = new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" };
        if (rules is not null) env["PW_NAME_RULES"] = rules;
        _agent = await AgentProcess.StartAsync(_home.Path, env);
        return (_agent, _agent.AddUser("ana"));
    }

    /// <summary>A snapshot of the project holding the given (name, content) files at its top and one nested file.</summary>
    private static string Snapshot(SnapshotBundles bundles, string project, string? parent, IEnumerable<string> topNames, string? nested = null)
    {
        var entries = topNames.Select(n => ("100644", n, bundles.Blob("content of " + n + "\n"))).ToList();
        var subEntries = new List<(string, string, string)> { ("100644", "ok.txt", bundles.Blob("fine\n")) };
        if (nested is not null) subEntries.Add(("100644", nested, bundles.Blob("nested\n")));
        entries.Add(("040000", "src", bundles.Tree(subEntries)));
        return bundles.Commit(bundles.Tree(entries), parent, project);
    }

    [Fact]
    public async Task A_snapshot_holding_names_Windows_cannot_create_is_refused_with_the_paths_and_nothing_is_touched()
    {
        var (agent, token) = await StartAsync("windows");
        var bundles = SnapshotBundles.Create(_work.Path);
        var good = Snapshot(bundles, "app", null, new[] { "README.md", "main.c" });
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "app", bundles.Bundle("app")), 200);
        var checkout = Path.Combine(agent.ProjectsRoot, "ana", "app");
        var before = CheckoutTree(checkout);

        var bad = new[] { "aux.c", "con", "NUL.txt", "com1", "lpt9.log", "a:b", "q?", "star*", "pipe|", "lt<", "gt>", "quote\"", "back\\slash", "ctrl\u0001", "trailing.", "trailing ", "Readme.md", "nul .txt" };
        Snapshot(bundles, "app", good, new[] { "README.md", "main.c" }.Concat(bad), nested: "prn.h");
        var refused = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "app", bundles.Bundle("app", good)), 400);

        Assert.Equal(HttpErrors.SnapshotNamesUnsupported, refused.GetProperty("error").GetString());
        var paths = refused.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList();
        var expected = bad.Append("src/prn.h").ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), paths.Order(StringComparer.Ordinal));
        var message = refused.GetProperty("message").GetString()!;
        Assert.Contains("Windows", message);
        Assert.Contains("sync.exclude", message);
        var problems = refused.GetProperty("problems").EnumerateArray().ToDictionary(p => p.GetProperty("path").GetString()!, p => p.GetProperty("why").GetString()!);
        Assert.Contains("reserved device name", problems["aux.c"]);
        Assert.Contains("':'", problems["a:b"]);
        Assert.Contains("ends with a dot", problems["trailing."]);
        Assert.Contains("ends with a space", problems["trailing "]);
        Assert.Contains("'README.md'", problems["Readme.md"]);

        // Nothing checked out, the baseline unchanged, the refused pack gone again.
        Assert.Equal(good, await SnapshotBundles.BaselineAsync(agent, token, "app"));
        Assert.Equal(before, CheckoutTree(checkout));
        Assert.False(File.Exists(Path.Combine(checkout, "aux.c")));
    }

    [Fact]
    public async Task A_new_project_whose_first_snapshot_is_refused_leaves_no_folder()
    {
        var (agent, token) = await StartAsync("windows");
        var bundles = SnapshotBundles.Create(_work.Path);
        Snapshot(bundles, "fresh", null, new[] { "ok.txt", "aux.c" });

        var refused = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "fresh", bundles.Bundle("fresh")), 400);

        Assert.Equal(new[] { "aux.c" }, refused.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.False(Directory.Exists(Path.Combine(agent.ProjectsRoot, "ana", "fresh")));
    }

    [Fact]
    public async Task On_macOS_rules_only_names_differing_in_case_are_refused()
    {
        var (agent, token) = await StartAsync("macos");
        var bundles = SnapshotBundles.Create(_work.Path);
        Snapshot(bundles, "mac", null, new[] { "aux.c", "a:b", "Makefile", "makefile", "trailing." });

        var refused = await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "mac", bundles.Bundle("mac")), 400);

        Assert.Equal(new[] { "makefile" }, refused.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("macOS", refused.GetProperty("message").GetString());
    }

    [Fact]
    public async Task On_Linux_rules_the_same_names_are_checked_out()
    {
        var (agent, token) = await StartAsync("linux");
        var bundles = SnapshotBundles.Create(_work.Path);
        Snapshot(bundles, "lin", null, new[] { "aux.c", "a:b", "Readme.md", "README.md", "trailing." });

        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "lin", bundles.Bundle("lin")), 200);

        var checkout = Path.Combine(agent.ProjectsRoot, "ana", "lin");
        Assert.True(File.Exists(Path.Combine(checkout, "aux.c")));
        Assert.True(File.Exists(Path.Combine(checkout, "a:b")));
        Assert.True(File.Exists(Path.Combine(checkout, "Readme.md")) && File.Exists(Path.Combine(checkout, "README.md")));
    }

    [Fact]
    public async Task Under_Windows_rules_App_and_app_are_one_checkout_with_one_baseline()
    {
        var (agent, token) = await StartAsync("windows");
        var bundles = SnapshotBundles.Create(_work.Path);
        var first = Snapshot(bundles, "App", null, new[] { "one.txt" });
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "App", bundles.Bundle("App")), 200);

        Assert.Equal(first, await SnapshotBundles.BaselineAsync(agent, token, "app"));
        Assert.Equal(first, await SnapshotBundles.BaselineAsync(agent, token, "APP"));
        Assert.Equal(new[] { "App" }, Directory.GetDirectories(Path.Combine(agent.ProjectsRoot, "ana")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Under_Linux_rules_App_and_app_stay_two_projects()
    {
        var (agent, token) = await StartAsync("linux");
        var bundles = SnapshotBundles.Create(_work.Path);
        var first = Snapshot(bundles, "App", null, new[] { "one.txt" });
        await SnapshotBundles.ExpectAsync(await SnapshotBundles.PostAsync(agent, token, "App", bundles.Bundle("App")), 200);

        Assert.Equal(first, await SnapshotBundles.BaselineAsync(agent, token, "App"));
        Assert.Null(await SnapshotBundles.BaselineAsync(agent, token, "app"));
    }

    [Theory]
    [InlineData("app.", "ends with '.'")]
    [InlineData("app%20", "ends with a space")]
    public async Task A_project_name_with_a_trailing_dot_or_space_is_refused_on_every_OS_with_a_clear_message(string project, string why)
    {
        var (agent, token) = await StartAsync(null);
        using var client = agent.Client(token);

        using var sync = await client.PostAsync("/sync/" + project, new ByteArrayContent(new byte[] { 1 }));
        var body = await SnapshotBundles.ExpectAsync(sync, 400);
        Assert.Equal(HttpErrors.InvalidProjectName, body.GetProperty("error").GetString());
        Assert.Contains(why, body.GetProperty("message").GetString());
        using var get = await client.GetAsync("/sync/" + project);
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Empty(Directory.Exists(Path.Combine(agent.ProjectsRoot, "ana")) ? Directory.GetFileSystemEntries(Path.Combine(agent.ProjectsRoot, "ana")) : Array.Empty<string>());
    }

    [Fact]
    public async Task A_bad_name_rules_setting_stops_the_start_naming_it()
    {
        Directory.CreateDirectory(_home.Combine("h2"));
        var (code, output) = await AgentProcess.RunToExitAsync(_home.Combine("h2"), new Dictionary<string, string?> { ["PW_NAME_RULES"] = "beos" });
        Assert.Equal(2, code);
        Assert.Contains("PW_NAME_RULES", output);
    }

    /// <summary>Every file under the checkout (outside .git) with its bytes, and the pack files.</summary>
    private static string CheckoutTree(string checkout)
    {
        var files = Directory.EnumerateFiles(checkout, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar) || f.Contains(Path.Combine(".git", "objects", "pack")))
            .Select(f => Path.GetRelativePath(checkout, f) + ":" + (f.Contains(".git") ? "" : File.ReadAllText(f)))
            .Order(StringComparer.Ordinal);
        return string.Join("\n", files);
    }
}
