using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using Patchwire.PowerShell.Sync;

namespace Patchwire.Tests.Sync;

/// <summary>Sync-PatchwireProject and 'patchwire sync' as a PowerShell user meets them (settings from PW_* variables).</summary>
[Collection(PowerShellCollection.Name)]
public sealed class SyncCmdletTests
{
    [Fact]
    public async Task Sync_PatchwireProject_returns_a_typed_result_with_a_view_and_patchwire_sync_prints_one_line()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Combine("agent-home").Also(Directory.CreateDirectory), new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        var token = agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("web-src"));
        repo.Write("index.html", "<h1>hi</h1>\n");
        using var ps = new PowerShellSession(home.Combine("laptop-home"), new Dictionary<string, string?> { ["PW_AGENT_URL"] = agent.BaseUrl, ["PW_TOKEN"] = token });

        var first = ps.Invoke("Set-Location -LiteralPath $p; Sync-PatchwireProject -Project webapp", new Dictionary<string, object?> { ["p"] = repo.Path });
        var result = Assert.IsType<SyncResult>(Assert.Single(first).BaseObject);
        Assert.True(result.Transferred);
        Assert.Equal("webapp", result.Project);
        Assert.Equal("<h1>hi</h1>\n", File.ReadAllText(Path.Combine(agent.ProjectsRoot, "ana", "webapp", "index.html")));

        var table = string.Concat(ps.Invoke("Sync-PatchwireProject -Path $p -Project webapp | Out-String -Width 200", new Dictionary<string, object?> { ["p"] = repo.Path }).Select(o => o.ToString()));
        Assert.Contains("webapp", table);
        Assert.Contains("nothing (up to date)", table);
        Assert.Contains(result.Baseline[..12], table);

        repo.Write("index.html", "<h1>changed</h1>\n");
        var cli = ps.Invoke("patchwire sync --project webapp $p; \"exit=$LASTEXITCODE\"", new Dictionary<string, object?> { ["p"] = repo.Path }).Select(o => o.ToString()).ToList();
        Assert.Equal(2, cli.Count);
        Assert.StartsWith("Synced webapp to " + agent.BaseUrl + ": baseline ", cli[0]);
        Assert.Equal("exit=0", cli[1]);
        Assert.Equal("<h1>changed</h1>\n", File.ReadAllText(Path.Combine(agent.ProjectsRoot, "ana", "webapp", "index.html")));
        var again = ps.Invoke("patchwire sync --project webapp $p", new Dictionary<string, object?> { ["p"] = repo.Path }).Single().ToString();
        Assert.Contains("webapp is up to date", again);

        var help = string.Join("\n", ps.Invoke("patchwire sync --help").Select(o => o.ToString()));
        Assert.Contains("usage: patchwire sync [PATH] [--project NAME]", help);
        var examples = string.Concat(ps.Invoke("Get-Help Sync-PatchwireProject -Examples | Out-String").Select(o => o.ToString()));
        Assert.Contains("Sync-PatchwireProject", examples);
    }

    [Fact]
    public async Task A_folder_that_is_not_a_git_repository_syncs_through_a_private_repository_even_without_a_git_identity()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Combine("agent-home").Also(Directory.CreateDirectory), new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        var token = agent.AddUser("ana");
        var folder = laptop.Combine("notes");
        Directory.CreateDirectory(Path.Combine(folder, "drafts"));
        File.WriteAllText(Path.Combine(folder, ".gitignore"), ".env\n");
        File.WriteAllText(Path.Combine(folder, ".env"), "TOKEN=do-not-send\n");
        File.WriteAllText(Path.Combine(folder, "todo.md"), "- ship\n");
        File.WriteAllText(Path.Combine(folder, "drafts", "idea.md"), "idea\n");
        var laptopHome = home.Combine("laptop-home");
        using var ps = new PowerShellSession(laptopHome, new Dictionary<string, string?>
        {
            ["PW_AGENT_URL"] = agent.BaseUrl, ["PW_TOKEN"] = token,
            // No user.name / user.email anywhere: snapshots must not need them.
            ["GIT_CONFIG_GLOBAL"] = "/dev/null", ["GIT_CONFIG_NOSYSTEM"] = "1",
        });

        var result = (SyncResult)ps.Invoke("Sync-PatchwireProject -Path $p", new Dictionary<string, object?> { ["p"] = folder }).Single().BaseObject;

        var checkout = Path.Combine(agent.ProjectsRoot, "ana", "notes");
        Assert.Equal(new[] { ".gitignore", "drafts/idea.md", "todo.md" }, TreeListing.OnDisk(checkout).Keys);
        Assert.False(Directory.Exists(Path.Combine(folder, ".git")), "the user's folder must not become a repository");
        Assert.Single(Directory.GetDirectories(Path.Combine(laptopHome, "sync")));

        // A file that becomes ignored stops being sent, and the agent drops it.
        File.WriteAllText(Path.Combine(folder, ".gitignore"), ".env\ndrafts/\n");
        var second = (SyncResult)ps.Invoke("Sync-PatchwireProject -Path $p", new Dictionary<string, object?> { ["p"] = folder }).Single().BaseObject;
        Assert.False(second.Full);
        Assert.Equal(new[] { ".gitignore", "todo.md" }, TreeListing.OnDisk(checkout).Keys);
        Assert.NotEqual(result.Baseline, second.Baseline);
    }

    [Fact]
    public async Task Failures_are_terminating_errors_a_person_can_act_on()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Combine("agent-home").Also(Directory.CreateDirectory), new Dictionary<string, string?> { ["PW_AI_BIN"] = "git" });
        agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("proj"));
        using var ps = new PowerShellSession(home.Combine("laptop-home"), new Dictionary<string, string?> { ["PW_AGENT_URL"] = agent.BaseUrl, ["PW_TOKEN"] = "pw_" + new string('3', 64) });
        var vars = new Dictionary<string, object?> { ["p"] = repo.Path, ["missing"] = laptop.Combine("missing") };
        const string capture = "try { Sync-PatchwireProject -Path {0} } catch { $_.FullyQualifiedErrorId; [string]$_.CategoryInfo.Category; $_.Exception.Message }";

        var unauthorized = ps.Invoke(capture.Replace("{0}", "$p"), vars).Select(o => o.ToString()).ToList();
        Assert.Equal("Patchwire.Agent.TokenRejected,Patchwire.PowerShell.Sync.SyncPatchwireProjectCommand", unauthorized[0]);
        Assert.Equal("AuthenticationError", unauthorized[1]);
        Assert.Contains("patchwire setup", unauthorized[2]);

        var missing = ps.Invoke(capture.Replace("{0}", "$missing"), vars).Select(o => o.ToString()).ToList();
        Assert.Equal("ObjectNotFound", missing[1]);
        Assert.Contains("does not exist", missing[2]);

        var (cliOutput, cliErrors) = ps.Run("patchwire sync $p; \"exit=$LASTEXITCODE\"", vars);
        Assert.Equal("exit=1", cliOutput.Last().ToString());
        Assert.Contains("rejected the token", Assert.Single(cliErrors).ToString());

        var badFolder = GitRepo.Init(laptop.Combine("my project"));
        var badName = ps.Invoke(capture.Replace("{0}", "$bad"), new Dictionary<string, object?> { ["bad"] = badFolder.Path }).Select(o => o.ToString()).ToList();
        Assert.Equal("InvalidData", badName[1]);
        Assert.Contains("patchwire.yml", badName[2]);

        ps.Invoke("$saved = $env:PW_TOKEN; $env:PW_TOKEN = $null");
        var noToken = ps.Invoke(capture.Replace("{0}", "$p"), vars).Select(o => o.ToString()).ToList();
        Assert.Equal("AuthenticationError", noToken[1]);
        Assert.Contains("patchwire setup", noToken[2]);
        ps.Invoke("$env:PW_TOKEN = $saved");

        ps.Invoke("$env:PW_AGENT_URL = $url", new Dictionary<string, object?> { ["url"] = $"http://127.0.0.1:{FreePort()}" });
        var down = ps.Invoke(capture.Replace("{0}", "$p"), vars).Select(o => o.ToString()).ToList();
        Assert.Equal("ConnectionError", down[1]);
        Assert.Contains("Cannot reach the Patchwire agent", down[2]);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

internal static class PathExtensions
{
    /// <summary>Runs <paramref name="action"/> on the value and returns it (for fluent set-up of folders).</summary>
    public static string Also(this string value, Func<string, DirectoryInfo> action)
    {
        action(value);
        return value;
    }
}
