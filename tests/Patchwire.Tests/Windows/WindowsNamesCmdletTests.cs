using Patchwire.Tests.Sync;

namespace Patchwire.Tests.Windows;

/// <summary>What a developer sees when their tree holds names a Windows agent cannot create: an error naming them.</summary>
[Collection(PowerShellCollection.Name)]
public sealed class WindowsNamesCmdletTests
{
    [Fact]
    public async Task Sync_to_a_Windows_agent_of_a_tree_with_aux_c_fails_naming_the_file_and_what_to_do()
    {
        using var home = new TempDirectory();
        using var laptop = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Combine("agent-home").Also(Directory.CreateDirectory),
            new Dictionary<string, string?> { ["PW_AI_BIN"] = "git", ["PW_NAME_RULES"] = "windows" });
        var token = agent.AddUser("ana");
        var repo = GitRepo.Init(laptop.Combine("proj"));
        repo.Write("src/aux.c", "int main;\n");
        using var ps = new PowerShellSession(home.Combine("laptop-home"), new Dictionary<string, string?> { ["PW_AGENT_URL"] = agent.BaseUrl, ["PW_TOKEN"] = token });
        var vars = new Dictionary<string, object?> { ["p"] = repo.Path };

        var (output, errors) = ps.Run("patchwire sync --project proj $p; \"exit=$LASTEXITCODE\"", vars);

        Assert.Equal("exit=1", output.Last().ToString());
        var error = Assert.Single(errors).ToString();
        Assert.Contains("'src/aux.c'", error);
        Assert.Contains("reserved device name", error);
        Assert.Contains("sync.exclude", error);
        Assert.False(Directory.Exists(Path.Combine(agent.ProjectsRoot, "ana", "proj")));
    }
}
