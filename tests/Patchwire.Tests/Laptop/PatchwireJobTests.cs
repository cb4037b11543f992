using System.Diagnostics;
using System.Management.Automation;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.DetachedRuns;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class PatchwireJobTests
{
    // "block" waits for a release note; every prompt adds a file named after it.
    private const string Ai = """
        if [ "$PROMPT" = "block" ]; then touch "$NOTES/started"; wait_for release; fi
        printf 'from %s\n' "$PROMPT" > "$PROMPT.txt"
        """;

    /// <summary>A separate pwsh process (dotnet pwsh) with the module imported, in <paramref name="folder"/>.</summary>
    private static async Task<ProcessResult> PwshAsync(LaptopTestBed bed, string folder, string commands, string token)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var script = $"$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; Import-Module '{TestPaths.ModuleDll}'; Set-Location '{folder}'; {commands}";
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", script }) psi.ArgumentList.Add(a);
        ProcessRunner.ApplyEnvironment(psi, new Dictionary<string, string?> { ["PW_HOME"] = bed.LaptopHome, ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = token });
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("pwsh did not finish: " + await stdout + await stderr);
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Three_jobs_started_in_one_pwsh_are_found_received_and_one_applied_from_a_new_one()
    {
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        // The first pwsh starts three runs and exits at once (no Wait-Job): the runs go on on the agent.
        var first = await PwshAsync(bed, project.Path,
            "$jobs = 'one', 'two', 'three' | Start-PatchwireAsk; " +
            "$jobs | ForEach-Object { \"job $($_.GetType().Name) $($_.Name) $($_.PSJobTypeName) $($_.RunId)\" }; " +
            "\"listed $(@(Get-Job -Name 'Patchwire-*').Count) $(@(Get-Job).Count)\"", token);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var started = first.Stdout.Split('\n').Where(l => l.StartsWith("job ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')).ToList();
        Assert.Equal(3, started.Count);
        Assert.All(started, f => Assert.Equal(("PatchwireJob", "PatchwireJob"), (f[1], f[3])));
        Assert.All(started, f => Assert.Equal("Patchwire-" + f[4][..8], f[2]));
        Assert.Contains("listed 3 3", first.Stdout); // each job once: Get-Job used to fail on a duplicate key

        // A new pwsh: Get-Job finds them through the agent, Wait-Job and Receive-Job give Invoke-PatchwireAsk's result.
        var second = await PwshAsync(bed, project.Path,
            "$jobs = @(Get-Job -Name 'Patchwire-*'); \"found $($jobs.Count)\"; " +
            "$results = @($jobs | Wait-Job -Timeout 120 | Receive-Job); " +
            "\"states $(($jobs | ForEach-Object { $_.State }) -join ',')\"; " +
            "$results | ForEach-Object { \"result $($_.GetType().Name) $($_.Files.Path) $($_.ProjectRoot)\" }; " +
            "\"again $(@($jobs | Receive-Job).Count)\"; " +
            "$applied = $results | Where-Object { $_.Files.Path -eq 'two.txt' } | Invoke-PatchwirePatch -Confirm:$false; \"applied $($applied.Method)\"; " +
            "Get-Job -Name 'Patchwire-*' | Remove-Job; \"left $(@(Get-Job -Name 'Patchwire-*').Count)\"", token);
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("found 3", second.Stdout);
        Assert.Contains("states Completed,Completed,Completed", second.Stdout);
        foreach (var name in new[] { "one.txt", "two.txt", "three.txt" })
            Assert.Contains($"result PatchwireAskResult {name} {project.Path}", second.Stdout);
        Assert.Contains("again 0", second.Stdout); // Receive-Job hands each result out once
        Assert.Contains("applied Direct", second.Stdout);
        Assert.Contains("left 0", second.Stdout);
        Assert.Equal("from two\n", project.Read("two.txt"));
        Assert.False(File.Exists(Path.Combine(project.Path, "one.txt")));
        Assert.False(File.Exists(Path.Combine(project.Path, "three.txt")));

        // Remove-Job only forgets the job in that session: the agent keeps the run, and a third pwsh lists it again.
        var third = await PwshAsync(bed, project.Path, "\"found $(@(Get-Job -Name 'Patchwire-*').Count)\"", token);
        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Contains("found 3", third.Stdout);
    }

    [Fact]
    public async Task Stop_Job_cancels_the_run_suspending_is_refused_and_jobs_pipe_into_the_run_cmdlets()
    {
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var ana = bed.Agent.AddUser("ana");
        var ben = bed.Agent.AddUser("ben");
        var project = bed.CreateProject();
        using var session = bed.Session(ana);
        session.Invoke($"Set-Location '{project.Path}'");
        var job = (PatchwireJob)session.Invoke("Invoke-PatchwireAsk block -AsJob")[0].BaseObject;
        await bed.WaitForNoteAsync("started");
        Assert.Equal(JobState.Running, job.JobStateInfo.State);
        Assert.Equal(PatchwireJobSourceAdapter.JobTypeName, job.PSJobTypeName);
        Assert.Equal(job.RunId, Guid.Parse(job.RunId).ToString("N"));
        Assert.Equal(Guid.Parse(job.RunId), job.InstanceId);
        var view = string.Join("\n", session.Invoke("Get-Job | Out-String -Width 80").Select(o => o.ToString()));
        Assert.Contains($"{job.Name} Running", view);
        Assert.Contains("team-app", view);
        Assert.DoesNotContain("…", view);
        Assert.All(view.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 80, line));

        // The job goes wherever a run id goes.
        var viaPipe = (PatchwireRun)session.Invoke($"Get-Job -Name '{job.Name}' | Get-PatchwireRun")[0].BaseObject;
        Assert.Equal((job.RunId, "running"), (viaPipe.Id, viaPipe.State));
        var (_, timeout) = session.Run("Wait-PatchwireRun -Id $j -Timeout 00:00:01", new Dictionary<string, object?> { ["j"] = job });
        Assert.StartsWith("Patchwire.Run.Timeout", Assert.Single(timeout).FullyQualifiedErrorId);

        // Another user's session never sees ana's job.
        using (var other = bed.Session(ben))
        {
            other.Invoke($"Set-Location '{project.Path}'");
            Assert.Empty(other.Invoke("Get-Job"));
        }

        var (_, suspend) = session.Run($"Get-Job -Name '{job.Name}' | Suspend-Job");
        Assert.NotEmpty(suspend);
        Assert.Equal(JobState.Running, job.JobStateInfo.State);
        var (_, removeRunning) = session.Run($"Get-Job -Name '{job.Name}' | Remove-Job");
        Assert.NotEmpty(removeRunning); // a running job is only removed with -Force
        Assert.Single(session.Invoke($"Get-Job -Name '{job.Name}'"));

        session.Invoke($"Get-Job -Name '{job.Name}' | Stop-Job");
        Assert.Equal(JobState.Stopped, job.JobStateInfo.State);
        var run = (PatchwireRun)session.Invoke($"Get-PatchwireRun {job.RunId}")[0].BaseObject;
        Assert.Equal("cancelled", run.State);
        Assert.Empty(session.Invoke($"Receive-Job -Name '{job.Name}'"));
        bed.Release("release");
        Assert.False(File.Exists(Path.Combine(project.Path, "block.txt")));

        // -AsJob with -Apply is refused before anything is sent.
        var (_, applyAsJob) = session.Run("Invoke-PatchwireAsk never -AsJob -Apply");
        Assert.StartsWith("Patchwire.Ask.AsJobWithApply", Assert.Single(applyAsJob).FullyQualifiedErrorId);
        Assert.Single(session.Invoke("Get-PatchwireRun"));
    }

    [Fact]
    public async Task A_job_rides_out_an_agent_killed_and_restarted_and_ends_with_what_the_agent_says_of_the_run()
    {
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);
        session.Invoke($"Set-Location '{project.Path}'");
        var job = (PatchwireJob)session.Invoke("Start-PatchwireAsk block")[0].BaseObject;
        await bed.WaitForNoteAsync("started");

        // While the agent is down the job keeps trying: connection refused is not the run's end, the agent's answer is.
        await bed.KillAndRestartAgentAsync();
        var vars = new Dictionary<string, object?> { ["j"] = job };
        session.Invoke("$j | Wait-Job -Timeout 120 | Out-Null", vars);
        Assert.Equal(JobState.Failed, job.JobStateInfo.State);
        var (output, errors) = session.Run("$j | Receive-Job", vars);
        Assert.Empty(output);
        var error = Assert.Single(errors);
        Assert.Equal("Patchwire.Run.agent_restarted", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("stopped while this run was running", error.Exception.Message);
        bed.Release("release");
    }

    [Fact]
    public async Task A_failed_run_is_a_failed_job_with_its_error_and_Get_Job_without_an_agent_lists_nothing()
    {
        // "slow" outlives PW_TIMEOUT_SEC: the agent stops it and the run fails.
        await using var bed = await LaptopTestBed.StartAsync("if [ \"$PROMPT\" = slow ]; then sleep 30; fi\nprintf 'from %s\\n' \"$PROMPT\" > \"$PROMPT.txt\"",
            new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "2" });
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using (var session = bed.Session(token))
        {
            session.Invoke($"Set-Location '{project.Path}'");
            var job = (PatchwireJob)session.Invoke("Start-PatchwireAsk slow | Wait-Job -Timeout 60")[0].BaseObject;
            Assert.Equal(JobState.Failed, job.JobStateInfo.State);
            Assert.Equal("failed", job.Run.State);
            var (output, errors) = session.Run("$j | Receive-Job", new Dictionary<string, object?> { ["j"] = job });
            Assert.Empty(output);
            var error = Assert.Single(errors);
            Assert.StartsWith("Patchwire.Run.", error.FullyQualifiedErrorId);
            Assert.Contains("PW_TIMEOUT_SEC", error.Exception.Message);
        }

        // A session whose agent does not answer: Get-Job still works and lists no Patchwire job.
        using var offline = bed.Session(token, agentUrl: "http://127.0.0.1:9");
        offline.Invoke($"Set-Location '{project.Path}'");
        Assert.Empty(offline.Invoke("Get-Job"));
        Assert.Empty(offline.Invoke("Get-Job -Name 'Patchwire-*'"));
    }
}
