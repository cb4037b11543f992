using System.Text.Json;
using Patchwire.Tests.ChatTurns;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Sandbox;

/// <summary>Timeouts, cancellation, chat turns with --resume, and crash recovery, all with the AI inside the sandbox.</summary>
public sealed class SandboxRunTests
{
    /// <summary>A stand-in that changes its checkout, says it started (a file in its private home), starts grandchildren and works forever.</summary>
    private const string WorkForever = """
        cat > /dev/null
        echo "half-made change" >> src/app.txt
        rm secret.txt
        echo new > new-file.txt
        sleep 300 &
        ( cd /tmp && setsid sleep 301 ) &
        echo started > "$HOME/started"
        while true; do sleep 0.1; done
        """;

    private static async Task WaitStartedAsync(SandboxTestBed bed)
    {
        var started = Path.Combine(bed.Home, "ai-home", "ana", "started");
        var seen = await ProcessProbe.PollAsync(() => Task.FromResult(File.Exists(started)), s => s, TimeSpan.FromSeconds(30));
        Assert.True(seen, "the stand-in never started");
    }

    /// <summary>Every host process of the sandbox whose working folder is the run's folder: bwrap, the sandbox's init, the AI and its children.</summary>
    private static List<int> SandboxProcesses(GitRepo repo)
    {
        var found = SandboxTestBed.ProcessesIn(RunsFolder(repo));
        Assert.True(found.Count >= 3, "expected bwrap, the sandbox's init and the AI in the checkout, found " + found.Count);
        return found;
    }

    /// <summary>&lt;root&gt;/&lt;user&gt;/.patchwire-runs, where the runs on <paramref name="repo"/> work.</summary>
    private static string RunsFolder(GitRepo repo) => Path.Combine(Path.GetDirectoryName(repo.Path)!, ".patchwire-runs");

    [SandboxFact]
    public async Task After_kill_9_of_the_agent_mid_run_the_sandbox_dies_with_it_and_the_restart_restores_the_checkout()
    {
        await using var bed = await SandboxTestBed.StartAsync(WorkForever);
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        var head = repo.Head;
        using (var ana = bed.Client("ana"))
        {
            var running = await AskStream.OpenAsync(ana, new { prompt = "crash", project = "app" });
            await running.NextAsync();
            await WaitStartedAsync(bed);
            var processes = SandboxProcesses(repo);
            // The pid on record is bwrap's (setsid made it the leader of its own session and process group).
            var entry = JsonDocument.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(bed.JournalFolder, "*.json")))).RootElement;
            var recorded = entry.GetProperty("aiProcessId").GetInt32();
            Assert.Contains(recorded, processes);
            Assert.EndsWith("bwrap", new FileInfo($"/proc/{recorded}/exe").LinkTarget);

            bed.Agent.KillHard();
            await running.DisposeAsync();
            // The sandbox dies with the agent (bwrap --die-with-parent): no AI keeps working unsupervised until the restart.
            foreach (var pid in processes) Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(30)), $"process {pid} of the sandbox outlived the agent");
            Assert.Empty(await SandboxedSleepsGoneAsync());
            // The half-made change is still there, in the run's folder: the restart removes it.
            Assert.NotEqual("", new GitRepo(Assert.Single(Directory.GetDirectories(RunsFolder(repo)))).Status);
        }

        await bed.RestartAsync();

        // Killed processes take a moment to leave /proc on a loaded machine.
        Assert.Empty(await SandboxTestBed.WaitNoProcessesInAsync(RunsFolder(repo), TimeSpan.FromSeconds(20)));
        Assert.Empty(await SandboxedSleepsGoneAsync());
        Assert.Contains(bed.Agent.Output, l => l.Contains("removed the folder") && l.Contains(RunsFolder(repo)));
        Assert.Empty(Directory.GetFileSystemEntries(RunsFolder(repo)));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);
        Assert.Empty(Directory.GetFiles(bed.JournalFolder));

        bed.WriteScript("cat > /dev/null; echo 'after restart' >> src/app.txt");
        var next = await bed.AskAsync("ana", "app");
        Assert.Equal(new[] { "src/app.txt" }, next.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [SandboxFact]
    public async Task A_sandbox_that_outlived_its_agent_is_killed_whole_on_restart_before_the_checkout_is_restored()
    {
        // As if an agent without --die-with-parent had been killed mid-run: a sandbox still at work in the checkout,
        // with a child that left the session and the checkout, and the journal entry naming bwrap's pid.
        await using var bed = await SandboxTestBed.StartAsync("exit 0");
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        var head = repo.Head;
        await bed.Agent.StopAsync();
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/setsid") { WorkingDirectory = repo.Path, UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[]
        {
            "/usr/bin/bwrap", "--unshare-pid", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", repo.Path, repo.Path, "--chdir", repo.Path,
            "/bin/bash", "-c", "( cd /tmp && setsid sleep 301 ) & echo change >> src/app.txt; while true; do sleep 0.1; done",
        }) psi.ArgumentList.Add(arg);
        using var bwrap = System.Diagnostics.Process.Start(psi)!;
        Directory.CreateDirectory(bed.JournalFolder);
        File.WriteAllText(Path.Combine(bed.JournalFolder, "20260101000000000-leftover.json"), JsonSerializer.Serialize(new
        {
            id = "20260101000000000-leftover", checkout = repo.Path, baseCommit = head, headRef = "refs/heads/main", startedAt = DateTimeOffset.UtcNow, aiProcessId = bwrap.Id,
        }));
        var seen = await ProcessProbe.PollAsync(() => Task.FromResult(SandboxedSleeps().Count > 0 && repo.Status.Length > 0), s => s, TimeSpan.FromSeconds(20));
        Assert.True(seen, "the leftover sandbox did not start");

        await bed.RestartAsync();

        Assert.True(bwrap.WaitForExit(10_000), "bwrap survived the restart");
        Assert.Empty(await SandboxTestBed.WaitNoProcessesInAsync(repo.Path, TimeSpan.FromSeconds(20)));
        Assert.Empty(await SandboxedSleepsGoneAsync());
        Assert.Contains(bed.Agent.Output, l => l.Contains("restored") && l.Contains(repo.Path));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);
    }

    [SandboxFact]
    public async Task A_sandboxed_run_over_its_time_limit_is_stopped_with_every_process_and_restored()
    {
        await using var bed = await SandboxTestBed.StartAsync(WorkForever, new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "3" });
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var before = CheckoutAssert.Fingerprint(repo.Path);

        var result = await bed.AskAsync("ana", "app");

        Assert.Equal("error", result.GetProperty("type").GetString());
        Assert.Contains("PW_TIMEOUT_SEC", result.GetProperty("message").GetString());
        Assert.Empty(await SandboxTestBed.WaitNoProcessesInAsync(RunsFolder(repo), TimeSpan.FromSeconds(10)));
        Assert.Empty(Directory.GetFileSystemEntries(RunsFolder(repo)));
        Assert.Empty(await SandboxedSleepsGoneAsync());
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }

    [SandboxFact]
    public async Task A_sandboxed_run_whose_client_goes_away_is_stopped_with_every_process_and_restored()
    {
        await using var bed = await SandboxTestBed.StartAsync(WorkForever);
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");
        var running = await AskStream.OpenAsync(ana, new { prompt = "long", project = "app" });
        await running.NextAsync();
        await WaitStartedAsync(bed);
        var processes = SandboxProcesses(repo);

        await running.DisposeAsync();

        foreach (var pid in processes) Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(30)), $"process {pid} of the sandbox outlived the cancel");
        var queue = await ProcessProbe.PollAsync(async () =>
        {
            using var c = bed.Client("ana");
            return JsonDocument.Parse(await c.GetStringAsync("/queue")).RootElement.Clone();
        }, q => q.GetProperty("inFlight").GetArrayLength() == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, queue.GetProperty("inFlight").GetArrayLength());
        Assert.Empty(await SandboxedSleepsGoneAsync());
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }

    /// <summary>The stand-in's grandchildren ('sleep 300', 'sleep 301' started from /tmp in a session of its own), still alive anywhere on the box.</summary>
    /// <summary>
    /// The sandbox's sleeps once they have had up to 20 s to go: a killed sandbox's pid namespace is torn down by the
    /// kernel after bwrap dies, so its last processes can still be in /proc for a moment (seen once on a quiet machine).
    /// </summary>
    private static Task<List<int>> SandboxedSleepsGoneAsync() =>
        ProcessProbe.PollAsync(() => Task.FromResult(SandboxedSleeps()), left => left.Count == 0, TimeSpan.FromSeconds(20));

    private static List<int> SandboxedSleeps()
    {
        var found = new List<int>();
        var ownNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !ProcessProbe.IsAlive(pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (cmd is "sleep 300" or "sleep 301" && new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget != ownNamespace) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    [SandboxFact]
    public async Task Chat_turns_resume_the_AIs_session_inside_the_sandbox_with_its_state_in_the_users_private_home()
    {
        await using var bed = await SandboxTestBed.StartAsync("exit 0");
        // The checked-in stand-in for Claude Code, installed where PW_AI_BIN points; it keeps its sessions in HOME.
        File.Copy(ChatTestBed.StandInScript, bed.ScriptPath, overwrite: true);
        var standInDir = Path.Combine(bed.Home, "ai-home", "ana", "stand-in");
        var env = new Dictionary<string, string?>(bed.Agent.Environment) { ["PW_AI_ARGS"] = $"--print --standin-dir '{standInDir}'" };
        await bed.Agent.DisposeAsync();
        await using var agent = await AgentProcess.StartAsync(bed.Home, env);
        var token = agent.AddUser("ana");
        var repo = GitRepo.Init(Path.Combine(agent.ProjectsRoot, "ana", "app"));
        repo.Write("src/app.txt", "line one\n");
        repo.CommitAll("sample");
        using var client = agent.Client(token);
        var uuid = Guid.NewGuid().ToString();

        await using var one = await ChatStream.TurnAsync(client, uuid, "say: hello from turn {turn}\nwrite: notes.txt a note");
        Assert.Equal("hello from turn 1", one.Text);
        Assert.Contains(one.Events, e => ChatStream.Type(e) == "chat_diff");
        var aiSession = Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(standInDir, "sessions"))));

        await using var two = await ChatStream.TurnAsync(client, uuid, "say: still here, turn {turn}");
        Assert.Equal("still here, turn 2", two.Text);
        Assert.Equal("chat_done", ChatStream.Type(two.Last));
        var args = File.ReadAllLines(Path.Combine(standInDir, "args.log"));
        Assert.Equal(2, args.Length);
        Assert.EndsWith("--output-format stream-json --verbose", args[0]);
        Assert.EndsWith("--output-format stream-json --verbose --resume " + aiSession, args[1]);
        Assert.Equal("", repo.Status);
    }
}
