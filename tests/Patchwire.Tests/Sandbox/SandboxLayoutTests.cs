namespace Patchwire.Tests.Sandbox;

/// <summary>What the sandbox shows of the AI's install tree, and the runs it refuses to start.</summary>
public sealed class SandboxLayoutTests
{
    [SandboxFact]
    public async Task An_AI_installed_as_an_npm_package_outside_usr_sees_its_whole_package_folder_read_only()
    {
        await using var bed = await SandboxTestBed.StartAsync("exit 0");
        // <prefix>/bin/fake-ai -> ../lib/node_modules/fake-ai/bin/cli.sh, which reads a file of its own package.
        var prefix = Path.Combine(bed.Temp, "npm-prefix");
        var package = Path.Combine(prefix, "lib", "node_modules", "fake-ai");
        Directory.CreateDirectory(Path.Combine(package, "bin"));
        Directory.CreateDirectory(Path.Combine(prefix, "bin"));
        File.WriteAllText(Path.Combine(package, "data.txt"), "package data\n");
        var cli = Path.Combine(package, "bin", "cli.sh");
        File.WriteAllText(cli, "#!/bin/bash\ncat > /dev/null\ncat \"$(dirname \"$(readlink -f \"$0\")\")/../data.txt\"\necho x > \"$(dirname \"$(readlink -f \"$0\")\")/../planted\" 2>/dev/null || echo 'package read-only'\n");
        File.SetUnixFileMode(cli, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(prefix, "bin", "fake-ai"), "../lib/node_modules/fake-ai/bin/cli.sh");
        var env = new Dictionary<string, string?>(bed.Agent.Environment) { ["PW_AI_BIN"] = Path.Combine(prefix, "bin", "fake-ai") };
        await bed.Agent.DisposeAsync();
        await using var agent = await AgentProcess.StartAsync(bed.Home, env);
        var token = agent.AddUser("ana");
        var repo = GitRepo.Init(Path.Combine(agent.ProjectsRoot, "ana", "app"));
        using var client = agent.Client(token);

        await using var ask = await Runs.AskStream.RunAsync(client, new { prompt = "go", project = "app" });

        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.Equal("package data\npackage read-only\n", ask.Final.GetProperty("stdout").GetString());
        Assert.False(File.Exists(Path.Combine(package, "planted")));
    }

    [SandboxFact]
    public async Task An_AI_command_inside_the_agents_state_is_refused_with_a_clear_error()
    {
        await using var bed = await SandboxTestBed.StartAsync("exit 0");
        var inside = Path.Combine(bed.Home, "tools", "ai");
        Directory.CreateDirectory(Path.GetDirectoryName(inside)!);
        File.Copy(bed.ScriptPath, inside);
        var env = new Dictionary<string, string?>(bed.Agent.Environment) { ["PW_AI_BIN"] = inside };
        await bed.Agent.DisposeAsync();
        await using var agent = await AgentProcess.StartAsync(bed.Home, env);
        var token = agent.AddUser("ana");
        var repo = GitRepo.Init(Path.Combine(agent.ProjectsRoot, "ana", "app"));
        using var client = agent.Client(token);

        await using var ask = await Runs.AskStream.RunAsync(client, new { prompt = "go", project = "app" });

        Assert.Equal("error", ask.Final.GetProperty("type").GetString());
        Assert.Contains("PW_AI_BIN", ask.Final.GetProperty("message").GetString());
        Assert.Equal("", repo.Status);
    }

    [SandboxFact]
    public async Task A_checkout_whose_git_is_a_symlink_is_not_run()
    {
        await using var bed = await SandboxTestBed.StartAsync("cat > /dev/null; echo ran > ran.txt");
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var elsewhere = Path.Combine(bed.Outside, "git-dir");
        Directory.Move(Path.Combine(repo.Path, ".git"), elsewhere);
        File.CreateSymbolicLink(Path.Combine(repo.Path, ".git"), elsewhere);

        using var client = bed.Client("ana");
        await using var ask = await Runs.AskStream.OpenAsync(client, new { prompt = "go", project = "app" });

        // Refused before the stream (the agent's git refuses a linked .git) or as the run's error event.
        if (ask.Status == System.Net.HttpStatusCode.OK)
        {
            await ask.ReadAllAsync();
            Assert.Equal("error", ask.Final.GetProperty("type").GetString());
            Assert.Contains(".git", ask.Final.GetProperty("message").GetString());
        }
        else Assert.Contains("not a git repository", ask.ErrorBody); // the agent's git does not follow a linked .git
        Assert.False(File.Exists(Path.Combine(repo.Path, "ran.txt")));
    }
}
