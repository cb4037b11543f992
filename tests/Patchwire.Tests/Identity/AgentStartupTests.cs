using System.Text.Json;
using Patchwire.Core.Identity;

namespace Patchwire.Tests.Identity;

public sealed class AgentStartupTests
{
    public static TheoryData<string, string> BadSettings => new()
    {
        { "PW_AGENT_PORT", "70000" },
        { "PW_AGENT_PORT", "abc" },
        { "PW_AGENT_PORT", "-1" },
        { "PW_AGENT_HOST", "not a host" },
        { "PW_TIMEOUT_SEC", "0" },
        { "PW_TIMEOUT_SEC", "ten" },
        { "PW_MAX_CONCURRENT_TOTAL", "0" },
        { "PW_MAX_CONCURRENT_TOTAL", "abc" },
        { "PW_MAX_CONCURRENT_PER_USER", "-2" },
        { "PW_MAX_CONCURRENT_PER_USER", "1.5" },
        { "PW_AUDIT_LOG_MAX_BYTES", "lots" },
        { "PW_AUDIT_LOG_MAX_BYTES", "0" },
        { "PW_AUDIT_LOG_MAX_FILES", "-1" },
        { "PW_AI_ARGS", "--print \"unclosed" },
        { "PW_AI_BIN", " " },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_the_agent_with_one_line_naming_the_variable(string variable, string value)
    {
        using var home = new TempDirectory();
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { [variable] = value });
        Assert.NotEqual(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains(variable, line);
        Assert.DoesNotContain("listening", output);
    }

    [Fact]
    public async Task An_empty_setting_counts_as_unset()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "", ["PW_MAX_CONCURRENT_TOTAL"] = "" });
        await agent.WaitForOutputAsync(l => l.Contains("3 total, 1 per user"));
    }

    [Fact]
    public async Task Path_settings_that_name_the_wrong_kind_of_thing_stop_the_agent()
    {
        using var home = new TempDirectory();
        var file = home.Combine("a-file");
        File.WriteAllText(file, "x");
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_PROJECTS_ROOT"] = file });
        Assert.NotEqual(0, exit);
        Assert.Contains("PW_PROJECTS_ROOT", output);
        (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_USERS_FILE"] = home.Path });
        Assert.NotEqual(0, exit);
        Assert.Contains("PW_USERS_FILE", output);
    }

    [Fact]
    public async Task It_prints_the_real_port_then_caps_and_audit_path()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "5", ["PW_MAX_CONCURRENT_PER_USER"] = "2" });
        var port = new Uri(agent.BaseUrl).Port;
        Assert.NotEqual(0, port);
        await agent.WaitForOutputAsync(l => l.StartsWith("caps:"));
        var lines = agent.Output.ToList();
        Assert.Equal($"patchwire-agent listening on http://127.0.0.1:{port}", lines[0]);
        Assert.Contains("5 total, 2 per user", lines[1]);
        Assert.Contains(Path.Combine(home.Path, "agent.log"), lines[1]);
        using var client = agent.Client();
        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        Assert.True(health.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Health_reports_whether_the_ai_command_resolves()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "definitely-not-a-command-xyz" });
        using var client = agent.Client();
        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        Assert.False(health.GetProperty("claude").GetProperty("found").GetBoolean());
    }

    [Fact]
    public async Task A_registry_that_is_not_json_stops_the_start_naming_the_file_and_is_never_overwritten()
    {
        using var home = new TempDirectory();
        var users = home.Combine("users.json");
        File.WriteAllText(users, "not json at all");
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "legacy-token-0123456789" });
        Assert.NotEqual(0, exit);
        Assert.Contains(users, output);
        Assert.Equal("not json at all", File.ReadAllText(users));
    }

    [Fact]
    public async Task The_legacy_token_becomes_user_default_and_checkouts_move_under_default()
    {
        using var home = new TempDirectory();
        var root = home.Combine("projects");
        GitRepo.Init(Path.Combine(root, "app"));
        GitRepo.Init(Path.Combine(root, "lib"));
        Directory.CreateDirectory(Path.Combine(root, "notes")); // not a checkout: stays
        const string legacy = "legacy-token-0123456789abcdef";

        await using (var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = legacy }))
        {
            Assert.Contains(agent.Output, l => l.Contains("migrated PW_AGENT_TOKEN") && l.Contains("2 checkout"));
            using var client = agent.Client(legacy);
            var me = JsonDocument.Parse(await client.GetStringAsync("/me")).RootElement;
            Assert.Equal("default", me.GetProperty("user").GetString());
        }
        Assert.True(Directory.Exists(Path.Combine(root, "default", "app", ".git")));
        Assert.True(Directory.Exists(Path.Combine(root, "default", "lib", ".git")));
        Assert.False(Directory.Exists(Path.Combine(root, "app")));
        Assert.True(Directory.Exists(Path.Combine(root, "notes")));
        Assert.DoesNotContain(legacy, File.ReadAllText(home.Combine("users.json")));

        // Once the registry exists the legacy variable changes nothing.
        await using (var again = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "another-legacy-token-xyz" }))
        {
            Assert.DoesNotContain(again.Output, l => l.Contains("migrated"));
            Assert.Single(again.Registry.Load());
        }
    }

    [Fact]
    public async Task A_migration_clash_refuses_to_start_and_moves_nothing()
    {
        using var home = new TempDirectory();
        var root = home.Combine("projects");
        GitRepo.Init(Path.Combine(root, "app"));
        GitRepo.Init(Path.Combine(root, "lib"));
        Directory.CreateDirectory(Path.Combine(root, "default", "app"));

        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "legacy-token-0123456789" });
        Assert.NotEqual(0, exit);
        Assert.Contains("app", output);
        Assert.Contains("Nothing was moved", output);
        Assert.True(Directory.Exists(Path.Combine(root, "app", ".git")));
        Assert.True(Directory.Exists(Path.Combine(root, "lib", ".git")));
        Assert.False(File.Exists(home.Combine("users.json")));
    }
}
