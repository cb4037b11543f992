using System.Management.Automation;
using Patchwire.Core.IO;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Setup;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class SettingsAndSetupTests
{
    private static PatchwireConfiguration Config(PowerShellSession session, string folder) =>
        (PatchwireConfiguration)Assert.Single(session.Invoke($"Get-PatchwireConfiguration -Path '{folder}'")).BaseObject;

    [Fact]
    public void Patchwire_yml_is_found_up_to_the_git_top_level_interpolates_variables_and_ignores_ssh_fields()
    {
        using var temp = new TempDirectory();
        var repo = GitRepo.Init(temp.Combine("repo"));
        repo.Write("patchwire.yml", """
            project: team-app
            remote:
              host: buildbox        # upstream's SSH fields: accepted, ignored
              user: deploy
              path: /srv/projects
              agentUrl: http://${PW_TEST_HOST}:7878
              token: ${PW_TEST_TOKEN}
            ssh:
              identityFile: ~/.ssh/id_ed25519
            sync:
              exclude:
                - node_modules/
                - '*.log'
            """);
        Directory.CreateDirectory(Path.Combine(repo.Path, "src", "deep"));
        using var session = new PowerShellSession(temp.Combine("home"), new Dictionary<string, string?> { ["PW_TEST_HOST"] = "box.example", ["PW_TEST_TOKEN"] = "pw_from_env" });

        var config = Config(session, Path.Combine(repo.Path, "src", "deep"));
        Assert.Equal("team-app", config.Project);
        Assert.Equal(repo.Path, config.ProjectRoot);
        Assert.Equal(Path.Combine(repo.Path, "patchwire.yml"), config.ConfigFile);
        Assert.Equal("http://box.example:7878", config.AgentUrl);
        Assert.Equal("patchwire.yml", config.TokenSource);
        Assert.Equal(new[] { "node_modules/", "*.log" }, config.Excludes);

        // A patchwire.yml above the git top level belongs to something else.
        File.WriteAllText(temp.Combine("patchwire.yml"), "project: outer\n");
        var other = GitRepo.Init(temp.Combine("other-repo"));
        Assert.Equal("other-repo", Config(session, other.Path).Project);
        Assert.Equal("folder name", Config(session, other.Path).ProjectSource);
    }

    [Theory]
    [InlineData("project: app\nremote:\n  token: ${PW_NOT_SET_ANYWHERE}\n", "line 3", "PW_NOT_SET_ANYWHERE")]
    [InlineData("project: app\nremote:\n  agentUrl: x\n   token: y\n", "line 4", "not valid YAML")]
    [InlineData("project: app\nproject: again\n", "line 2", "Duplicate key project")]
    [InlineData("project: app\nsync:\n  exclude: node_modules\n", "line 3", "must be a list")]
    [InlineData("\n\nproject: ../escape\n", "line 3", "may contain only letters")]
    [InlineData("project: app\nremote:\n  agentUrl: ftp://box\n", "line 3", "not an http:// or https:// URL")]
    [InlineData("- just\n- a list\n", "line 1", "must be a mapping")]
    public void An_invalid_patchwire_yml_is_a_clear_error_with_the_line(string yaml, string line, string reason)
    {
        using var temp = new TempDirectory();
        var repo = GitRepo.Init(temp.Combine("repo"));
        repo.Write("patchwire.yml", yaml);
        using var session = new PowerShellSession(temp.Combine("home"));

        var (output, errors) = session.Run($"Get-PatchwireConfiguration -Path '{repo.Path}'");
        Assert.Empty(output);
        var error = Assert.Single(errors);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.IsType<ClientConfigurationException>(error.Exception);
        Assert.Contains(Path.Combine(repo.Path, "patchwire.yml") + ", " + line, error.Exception.Message);
        Assert.Contains(reason, error.Exception.Message);
    }

    [Fact]
    public void Without_patchwire_yml_the_folder_names_the_project_the_env_file_gives_the_rest_and_the_environment_wins()
    {
        using var temp = new TempDirectory();
        var repo = GitRepo.Init(temp.Combine("my-app"));
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "env"), "PW_TOKEN=pw_saved\nPW_USER=ana\nPW_AGENT_URL=http://saved:7878\n");
        using (var session = new PowerShellSession(home))
        {
            var config = Config(session, repo.Path);
            Assert.Equal(("my-app", "http://saved:7878", "ana"), (config.Project, config.AgentUrl, config.User));
            Assert.Equal("env file", config.TokenSource);
            Assert.DoesNotContain("pw_saved", config.Token); // masked on output
        }
        using (var session = new PowerShellSession(home, new Dictionary<string, string?> { ["PW_AGENT_URL"] = "http://from-env:1234" }))
        {
            var config = Config(session, repo.Path);
            Assert.Equal("http://from-env:1234", config.AgentUrl);
            Assert.Equal("environment", config.AgentUrlSource);
            Assert.Equal("env file", config.TokenSource);
        }
        // A folder name that cannot be a project name says how to fix it.
        var spaced = GitRepo.Init(temp.Combine("my app"));
        using (var session = new PowerShellSession(home))
        {
            var (_, errors) = session.Run($"Get-PatchwireConfiguration -Path '{spaced.Path}'");
            Assert.Contains("project: my-project", Assert.Single(errors).Exception.Message);
        }
        // So does a hidden folder, and a patchwire.yml naming a project that starts with a dot.
        var hidden = GitRepo.Init(temp.Combine(".claude"));
        var named = GitRepo.Init(temp.Combine("named-git"));
        named.Write("patchwire.yml", "project: .git\n");
        using (var session = new PowerShellSession(home))
        {
            var (_, errors) = session.Run($"Get-PatchwireConfiguration -Path '{hidden.Path}'");
            Assert.Contains("'.claude' starts with '.'", Assert.Single(errors).Exception.Message);
            (_, errors) = session.Run($"Get-PatchwireConfiguration -Path '{named.Path}'");
            Assert.Contains("'.git' starts with '.'", Assert.Single(errors).Exception.Message);
        }
    }

    [Fact]
    public async Task Setup_checks_the_token_with_the_agent_and_writes_an_owner_only_env_file()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var token = bed.Agent.AddUser("ana");
        var envFile = Path.Combine(bed.LaptopHome, "env");
        File.WriteAllText(envFile, "PW_EXTRA=kept\nPW_USER=someone-else\n");
        using var session = new PowerShellSession(bed.LaptopHome);

        var lines = session.Invoke($"patchwire setup --token {token} --agent-url {bed.Agent.BaseUrl}/; $LASTEXITCODE");
        Assert.Equal(0, (int)lines[^1].BaseObject);
        Assert.Contains($"Wrote PW_TOKEN + PW_USER (ana) and PW_AGENT_URL ({bed.Agent.BaseUrl})", lines[0].ToString());

        var saved = EnvFile.Read(envFile);
        Assert.Equal(token, saved["PW_TOKEN"]);
        Assert.Equal("ana", saved["PW_USER"]); // from GET /me
        Assert.Equal(bed.Agent.BaseUrl, saved["PW_AGENT_URL"]);
        Assert.Equal("kept", saved["PW_EXTRA"]);
        if (!OperatingSystem.IsWindows()) Assert.Equal(0x180, OwnerOnly.GetUnixMode(envFile));
    }

    [Fact]
    public async Task Setup_refuses_a_rejected_token_and_a_disabled_user_unless_forced()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var envFile = Path.Combine(bed.LaptopHome, "env");
        using var session = new PowerShellSession(bed.LaptopHome);

        var (output, errors) = session.Run($"patchwire setup --token pw_{new string('1', 64)} --agent-url {bed.Agent.BaseUrl}; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.Contains("does not know this token (401)", Assert.Single(errors).ToString());
        Assert.Contains("Nothing was saved", errors[0].ToString());
        Assert.False(File.Exists(envFile));

        var ben = bed.Agent.AddUser("ben");
        bed.Agent.Registry.SetDisabled("ben", true);
        var refused = session.Run($"Set-PatchwireConfiguration -Token {ben} -AgentUrl {bed.Agent.BaseUrl}");
        var error = Assert.Single(refused.Errors);
        Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
        Assert.Contains("disabled (403)", error.Exception.Message);
        Assert.False(File.Exists(envFile));

        var forced = session.Run($"Set-PatchwireConfiguration -Token {ben} -AgentUrl {bed.Agent.BaseUrl} -User ben -Force -WarningVariable w; $w");
        Assert.Empty(forced.Errors);
        Assert.Contains(forced.Output, o => o.ToString().Contains("Saved anyway because of -Force"));
        Assert.Equal(ben, EnvFile.Read(envFile)["PW_TOKEN"]);
    }

    [Fact]
    public async Task Setup_with_an_unreachable_agent_keeps_a_working_env_file_unless_forced()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var good = bed.Agent.AddUser("ana");
        var envFile = Path.Combine(bed.LaptopHome, "env");
        using var session = new PowerShellSession(bed.LaptopHome);
        session.Invoke($"Set-PatchwireConfiguration -Token {good} -AgentUrl {bed.Agent.BaseUrl}");
        var working = File.ReadAllText(envFile);

        // A mistyped port: nothing answers there.
        var wrong = new UriBuilder(bed.Agent.BaseUrl) { Port = FreePort() }.Uri.ToString().TrimEnd('/');
        var (output, errors) = session.Run($"patchwire setup --agent-url {wrong}; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.Contains($"Could not reach the agent at {wrong}", Assert.Single(errors).ToString());
        Assert.Contains("Nothing was saved", errors[0].ToString());
        Assert.Equal(working, File.ReadAllText(envFile));

        (_, errors) = session.Run($"Set-PatchwireConfiguration -AgentUrl {wrong}");
        Assert.Equal("Patchwire.Setup.AgentUnreachable", Assert.Single(errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(working, File.ReadAllText(envFile));

        session.Invoke($"Set-PatchwireConfiguration -Token pw_offline_token_123456 -AgentUrl {wrong} -Force -WhatIf");
        Assert.Equal(working, File.ReadAllText(envFile));

        (output, errors) = session.Run($"patchwire setup --token pw_offline_token_123456 --agent-url {wrong} --user ana --force 3>&1; $LASTEXITCODE");
        Assert.Empty(errors);
        Assert.Equal(0, (int)output[^1].BaseObject);
        Assert.Contains(output, o => o.ToString().Contains("Saved anyway because of --force"));
        var saved = EnvFile.Read(envFile);
        Assert.Equal(("pw_offline_token_123456", "ana", wrong), (saved["PW_TOKEN"], saved["PW_USER"], saved["PW_AGENT_URL"]));
    }

    [Fact]
    public async Task AgentUrl_alone_keeps_the_saved_token_and_checks_it_at_the_new_agent()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var token = bed.Agent.AddUser("ana");
        using var session = new PowerShellSession(bed.LaptopHome);
        var envFile = Path.Combine(bed.LaptopHome, "env");

        var (_, errors) = session.Run($"Set-PatchwireConfiguration -AgentUrl {bed.Agent.BaseUrl}");
        Assert.Contains("No token is saved", Assert.Single(errors).ToString());
        Assert.False(File.Exists(envFile));

        EnvFile.Write(envFile, new Dictionary<string, string> { ["PW_TOKEN"] = token, ["PW_AGENT_URL"] = "http://old-box:7878" });
        var config = (Patchwire.PowerShell.Setup.PatchwireConfiguration)session.Invoke($"Set-PatchwireConfiguration -AgentUrl {bed.Agent.BaseUrl} -PassThru").Single().BaseObject;
        Assert.Equal("Accepted", config.TokenCheck);
        var saved = EnvFile.Read(envFile);
        Assert.Equal((token, "ana", bed.Agent.BaseUrl), (saved["PW_TOKEN"], saved["PW_USER"], saved["PW_AGENT_URL"]));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("--token", "pw_has space", "spaces or control characters")]
    [InlineData("--agent-url", "not a url", "is not an http:// or https:// URL")]
    public void Setup_rejects_bad_input_before_calling_anyone(string option, string value, string message)
    {
        using var temp = new TempDirectory();
        using var session = new PowerShellSession(temp.Path);
        var args = option == "--token" ? $"--token '{value}'" : $"--token pw_ok_token_0123456789 --agent-url '{value}'";
        var (output, errors) = session.Run($"patchwire setup {args}; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.Contains(message, Assert.Single(errors).ToString());
        Assert.False(File.Exists(temp.Combine("env")));
    }
}
