using System.Net;
using System.Net.Sockets;

namespace Patchwire.Tests.Identity;

/// <summary>What an admin sees when the agent cannot start: one line saying what to do, a non-zero exit, never a stack trace.</summary>
public sealed class AgentStartFailureTests
{
    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_port_and_a_normal_exit_code()
    {
        using var home = new TempDirectory();
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_AGENT_PORT"] = port.ToString() });

        Assert.Equal(2, exit); // not 134, the runtime's abort on an unhandled exception
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("patchwire-agent: ", line);
        Assert.Contains($"port {port}", line);
        Assert.Contains("already in use", line);
        Assert.Contains("PW_AGENT_PORT", line);
    }

    [Fact]
    public async Task A_projects_root_the_agent_cannot_write_is_one_line_naming_the_setting()
    {
        if (OperatingSystem.IsWindows()) return; // folder permissions below are POSIX modes
        using var temp = new TempDirectory();
        var locked = temp.Combine("locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);

        var (exit, output) = RunAsOtherUser(temp, home, new Dictionary<string, string?> { ["PW_PROJECTS_ROOT"] = locked });

        Assert.Equal(2, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("patchwire-agent: ", line);
        Assert.Contains(locked, line);
        Assert.Contains("PW_PROJECTS_ROOT", line);
        Assert.Contains("not readable and writable", line);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task An_audit_log_folder_it_cannot_write_is_a_warning_and_the_agent_still_starts()
    {
        using var home = new TempDirectory();
        var blocker = home.Combine("not-a-folder");
        File.WriteAllText(blocker, "a file where the log's folder should be");
        await using var agent = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AUDIT_LOG"] = Path.Combine(blocker, "agent.log") });
        var warning = await agent.WaitForOutputAsync(l => l.StartsWith("patchwire-agent: warning: "));
        Assert.Contains("PW_AUDIT_LOG", warning);
        Assert.Contains("audit lines are lost", warning);
    }

    [Fact]
    public async Task The_banner_names_the_ai_command_and_whether_it_was_found()
    {
        using var home = new TempDirectory();
        await using (var missing = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "definitely-not-a-command-xyz", ["PW_AI_ARGS"] = "--print" }))
        {
            var line = await missing.WaitForOutputAsync(l => l.StartsWith("ai: "));
            Assert.StartsWith("ai: definitely-not-a-command-xyz --print (NOT FOUND", line);
            Assert.Contains("PW_AI_BIN", line);
        }
        await using var found = await AgentProcess.StartAsync(home.Path, new Dictionary<string, string?> { ["PW_AI_BIN"] = "bash", ["PW_AI_ARGS"] = "-s" });
        var ok = await found.WaitForOutputAsync(l => l.StartsWith("ai: "));
        Assert.Matches(@"^ai: bash -s \(found: /\S*bash\)$", ok);
    }

    /// <summary>
    /// Permissions do not bind root, so as root the agent runs as 'nobody' (setpriv) from a copy of its build output
    /// that 'nobody' can read; as any other user the locked folder already locks it out.
    /// </summary>
    private static (int ExitCode, string Output) RunAsOtherUser(TempDirectory temp, string home, Dictionary<string, string?> overrides)
    {
        var env = AgentProcess.DefaultEnvironment(home);
        foreach (var (k, v) in overrides) env[k] = v;
        ProcessResult result;
        if (Environment.UserName != "root")
        {
            result = ProcessRunner.Run("dotnet", new[] { TestPaths.AgentDll, "serve" }, home, env, timeout: TimeSpan.FromSeconds(60));
        }
        else
        {
            var agentCopy = temp.Combine("agent");
            CopyFolder(Path.GetDirectoryName(TestPaths.AgentDll)!, agentCopy);
            File.SetUnixFileMode(home, (UnixFileMode)0b111_111_111);
            env["HOME"] = home;
            env["DOTNET_CLI_HOME"] = home;
            result = ProcessRunner.Run("setpriv", new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Path.Combine(agentCopy, "patchwire-agent.dll"), "serve" },
                home, env, timeout: TimeSpan.FromSeconds(60));
        }
        return (result.ExitCode, (result.Stdout + result.Stderr).Trim());
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
