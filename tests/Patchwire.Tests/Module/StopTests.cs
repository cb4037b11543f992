using System.Management.Automation;
using Patchwire.Core.IO;

namespace Patchwire.Tests.Module;

/// <summary>
/// Issue 10: Ctrl+C (PowerShell.Stop()) ends every cmdlet and verb that waits on an agent that hangs (never answers,
/// answers headers then nothing, or takes a sync's upload and never answers it), and leaves nothing behind: the
/// project as it was, no lock held or left, no git still running, no connection kept open.
/// </summary>
[Collection(PowerShellCollection.Name)]
public sealed class StopTests
{
    private const string Token = "pw_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Session = "7d9f2c1e-4b3a-4f5e-9a8b-1c2d3e4f5a6b";

    /// <summary>A hang guard only: a command that does not stop fails instead of hanging the suite.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<string, Stall> Commands => new()
    {
        { "Invoke-PatchwireAsk 'hang'", Stall.Silent },
        { "Invoke-PatchwireAsk 'hang'", Stall.AfterHeaders },
        { "Invoke-PatchwireAsk 'hang' -Apply", Stall.AtUpload },
        { "Invoke-PatchwireAsk 'hang' -NoSync", Stall.AfterHeaders },
        { "patchwire ask 'hang' --yes", Stall.AtUpload },
        { "patchwire ask 'hang' --yes --no-sync", Stall.AfterHeaders },
        { "Sync-PatchwireProject", Stall.Silent },
        { "Sync-PatchwireProject", Stall.AfterHeaders },
        { "Sync-PatchwireProject", Stall.AtUpload },
        { "patchwire sync", Stall.Silent },
        { "patchwire sync", Stall.AfterHeaders },
        { "patchwire sync", Stall.AtUpload },
        { "Invoke-PatchwireChat 'hang' -Apply", Stall.AtUpload },
        { "Invoke-PatchwireChat 'hang' -NoSync", Stall.AfterHeaders },
        { "patchwire chat 'hang' --yes", Stall.Silent },
        { "patchwire chat 'hang' --yes --no-sync", Stall.AfterHeaders },
        { "Get-PatchwireQueue", Stall.Silent },
        { "Get-PatchwireQueue", Stall.AfterHeaders },
        { "patchwire queue", Stall.AfterHeaders },
        { "Start-PatchwireAsk 'hang'", Stall.AtUpload },
        { "Start-PatchwireAsk 'hang' -NoSync", Stall.AfterHeaders },
        { "patchwire ask 'hang' --detach", Stall.Silent },
        { "Get-PatchwireRun", Stall.AfterHeaders },
        { "Get-PatchwireRun -Id r1", Stall.Silent },
        { "patchwire runs", Stall.AfterHeaders },
        { "Wait-PatchwireRun -Id r1", Stall.AfterHeaders },
        { "patchwire wait r1", Stall.Silent },
        { "Stop-PatchwireRun -Id r1 -Confirm:$false", Stall.AfterHeaders },
        { "patchwire result r1 --apply", Stall.AfterHeaders },
        { "Get-PatchwireChatSession", Stall.AfterHeaders },
        { $"Remove-PatchwireChatSession -Session {Session} -Confirm:$false", Stall.Silent },
        { "Test-PatchwireConnection -TimeoutSec 600", Stall.AfterHeaders },
        { "patchwire doctor", Stall.Silent },
        { $"Set-PatchwireConfiguration -Token {Token} -AgentUrl $env:PW_AGENT_URL -TimeoutSec 600", Stall.AfterHeaders },
        { $"patchwire setup --token {Token}", Stall.Silent },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public Task Stop_ends_the_command_and_leaves_nothing_behind(string command, Stall stall) =>
        // Off xunit's synchronization context: nothing below may wait on its threads.
        Task.Run(() => StopsAsync(command, stall));

    private static async Task StopsAsync(string command, Stall stall)
    {
        using var temp = new TempDirectory("pw-stop");
        var agent = new StallingAgent(stall);
        var project = GitRepo.Init(temp.Combine("team-app"));
        project.Write("f.txt", "tracked\n");
        project.CommitAll("f");
        project.Write("f.txt", "edited, not committed\n");
        project.Write("new.txt", "untracked\n");
        var (head, status) = (project.Head, project.Status);
        var home = temp.Combine("home");
        var session = new PowerShellSession(home, new Dictionary<string, string?> { ["PW_AGENT_URL"] = agent.Url, ["PW_TOKEN"] = Token });
        var ps = session.Create($"Set-Location '{project.Path}'; {command}");
        var stopped = false;
        try
        {
            var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (agent.Hanging == 0 && !running.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
            // Streams.Error only once the pipeline has ended: enumerating it waits for the end (the old Stop theory hung on that).
            if (running.IsCompleted) Assert.Fail($"'{command}' ended before it was stopped: " + string.Join("; ", ps.Streams.Error));
            Assert.True(agent.Hanging > 0, $"'{command}' never reached the agent");

            var stop = Task.Run(ps.Stop);
            stopped = await Task.WhenAny(stop, Task.Delay(Bound)) == stop;
            Assert.True(stopped, $"'{command}' did not stop within {Bound.TotalSeconds} s");
            await Assert.ThrowsAsync<PipelineStoppedException>(() => running);
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        }
        finally
        {
            if (stopped)
            {
                ps.Dispose();
                session.Dispose();
            }
            else agent.Dispose(); // the pipeline is left for the finalizer: disposing one that does not stop would hang the suite
        }
        using (agent)
        {
            for (var i = 0; i < 600 && agent.Closed < agent.Hanging; i++) await Task.Delay(50);
            Assert.True(agent.Closed == agent.Hanging, $"'{command}' kept {agent.Hanging - agent.Closed} connection(s) to the agent open after it stopped");
        }

        // Nothing left behind: the project as it was, no lock held or left over, no git still at work, connections closed.
        Assert.Equal(head, project.Head);
        Assert.Equal(status, project.Status);
        Assert.False(File.Exists(Path.Combine(project.Path, ".git", "index.lock")));
        Assert.False(Directory.Exists(Path.Combine(project.Path, ".patchwire", "patches")) && Directory.EnumerateFiles(Path.Combine(project.Path, ".patchwire", "patches")).Any());
        if (Directory.Exists(home))
        {
            Assert.Empty(Directory.EnumerateFiles(home, "index-*.lock", SearchOption.AllDirectories));
            foreach (var syncLock in Directory.EnumerateFiles(home, "sync-*.lock", SearchOption.AllDirectories))
                FileLock.Acquire(syncLock, TimeSpan.Zero).Dispose();
        }
        Assert.Empty(ProcessesWorkingIn(temp.Path));
    }

    [Fact]
    public Task Stop_ends_a_sync_that_waits_for_another_sync_of_the_project() => Task.Run(async () =>
    {
        using var temp = new TempDirectory("pw-stop");
        using var agent = new StallingAgent(Stall.AtUpload);
        var project = GitRepo.Init(temp.Combine("team-app"));
        using var session = new PowerShellSession(temp.Combine("home"), new Dictionary<string, string?> { ["PW_AGENT_URL"] = agent.Url, ["PW_TOKEN"] = Token });
        using var module = new Laptop.ModuleRunspace();
        using var first = session.Create($"Set-Location '{project.Path}'; Sync-PatchwireProject");
        var firstRunning = Task.Factory.FromAsync(first.BeginInvoke(), first.EndInvoke);
        for (var i = 0; i < 1200 && agent.Hanging == 0 && !firstRunning.IsCompleted; i++) await Task.Delay(50);
        Assert.Equal(1, agent.Hanging); // the first sync holds the project's sync lock while its upload hangs

        using var second = module.Create($"Set-Location '{project.Path}'; Sync-PatchwireProject");
        var secondRunning = Task.Factory.FromAsync(second.BeginInvoke(), second.EndInvoke);
        await Task.Delay(1000);
        Assert.False(secondRunning.IsCompleted);
        Assert.Equal(1, agent.Hanging); // still waiting for the lock (it waits up to 10 minutes)

        foreach (var (ps, running) in new[] { (second, secondRunning), (first, firstRunning) })
        {
            var stop = Task.Run(ps.Stop);
            Assert.True(await Task.WhenAny(stop, Task.Delay(Bound)) == stop, "a sync did not stop");
            await Assert.ThrowsAsync<PipelineStoppedException>(() => running);
        }
        await Task.Delay(1000); // room for a stopped sync that still waited on the lock to go on (it did before the lock wait took the token)
        Assert.Equal(1, agent.Hanging); // the stopped second sync never went on to the agent
    });

    /// <summary>Processes whose current folder is under <paramref name="folder"/> (Linux; empty elsewhere).</summary>
    private static List<string> ProcessesWorkingIn(string folder)
    {
        var found = new List<string>();
        if (!OperatingSystem.IsLinux()) return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is not null && cwd.StartsWith(folder, StringComparison.Ordinal))
                    found.Add(Path.GetFileName(dir) + ": " + File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
