using System.Management.Automation;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.DetachedRuns;
using Patchwire.PowerShell.Patch;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class DetachedRunCmdletTests
{
    // "block" waits for a release note; every prompt adds a file named after it.
    private const string Ai = """
        if [ "$PROMPT" = "block" ]; then touch "$NOTES/started"; wait_for release; fi
        printf 'from %s\n' "$PROMPT" > "$PROMPT.txt"
        """;

    [Fact]
    public async Task Start_in_one_session_collect_from_another_and_apply_the_result()
    {
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        string[] ids;
        using (var first = bed.Session(token))
        {
            var started = first.Invoke($"Set-Location '{project.Path}'; 'one', 'two' | Start-PatchwireAsk").Select(o => (PatchwireJob)o.BaseObject).ToList();
            Assert.Equal(2, started.Count);
            Assert.All(started, r => Assert.Matches("^[0-9a-f]{32}$", r.RunId));
            Assert.All(started, r => Assert.Equal("team-app", r.Project));
            ids = started.Select(r => r.RunId).ToArray();
            // -WhatIf starts nothing.
            Assert.Empty(first.Invoke("Start-PatchwireAsk 'never' -WhatIf"));
        }

        using var second = bed.Session(token);
        second.Invoke($"Set-Location '{project.Path}'");
        var listed = second.Invoke("Get-PatchwireRun").Select(o => ((PatchwireRun)o.BaseObject).Id).ToList();
        Assert.Equal(ids.OrderBy(i => i), listed.OrderBy(i => i));
        var done = second.Invoke("Get-PatchwireRun | Wait-PatchwireRun -Timeout 00:01:00").Select(o => (PatchwireRun)o.BaseObject).ToList();
        Assert.All(done, r => Assert.Equal("succeeded", r.State));
        var one = done.Single(r => r.Id == ids[0]);
        Assert.Equal(new[] { "one.txt" }, one.Files);
        Assert.IsType<PatchwireAskResult>(one.Result);
        Assert.Equal(project.Path, one.Result!.ProjectRoot);

        var applied = (PatchwireApplyResult)second.Invoke("$r.Result | Invoke-PatchwirePatch -Confirm:$false", new Dictionary<string, object?> { ["r"] = one })[0].BaseObject;
        Assert.Equal(PatchApplyMethod.Direct, applied.Method);
        Assert.Equal("from one\n", project.Read("one.txt"));
        Assert.False(File.Exists(Path.Combine(project.Path, "never.txt")));

        var view = string.Join("\n", second.Invoke("Get-PatchwireRun | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains(ids[1], view);
        Assert.Contains("succeeded", view);
        Assert.Contains("team-app", view);

        // patchwire ask --detach prints the id; wait and result --apply collect it.
        var id = (string)second.Invoke("patchwire ask three --detach")[0].BaseObject;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Contains(second.Invoke("patchwire runs").Select(o => o.ToString()), l => l.StartsWith(id));
        Assert.Contains(second.Invoke($"patchwire wait {id}").Select(o => o.ToString()), l => l.Contains("succeeded, 1 file(s) changed"));
        second.Invoke($"patchwire result {id} --apply");
        Assert.Equal("from three\n", project.Read("three.txt"));
    }

    [Fact]
    public async Task Bad_foreign_and_unfinished_ids_are_clear_errors_and_Stop_cancels_after_confirmation()
    {
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var ana = bed.Agent.AddUser("ana");
        var ben = bed.Agent.AddUser("ben");
        var project = bed.CreateProject();
        using var session = bed.Session(ana);
        session.Invoke($"Set-Location '{project.Path}'");
        var run = ((PatchwireJob)session.Invoke("Start-PatchwireAsk block")[0].BaseObject).Run;
        await bed.WaitForNoteAsync("started");

        var (_, invalid) = session.Run("Get-PatchwireRun -Id nope");
        Assert.Equal("Patchwire.Run.InvalidId,Patchwire.PowerShell.DetachedRuns.GetPatchwireRunCommand", Assert.Single(invalid).FullyQualifiedErrorId);
        var (_, timeout) = session.Run($"Wait-PatchwireRun -Id {run.Id} -Timeout 00:00:01");
        Assert.StartsWith("Patchwire.Run.Timeout", Assert.Single(timeout).FullyQualifiedErrorId);

        using (var other = bed.Session(ben))
        {
            other.Invoke($"Set-Location '{project.Path}'");
            var (_, foreign) = other.Run($"Get-PatchwireRun -Id {run.Id}");
            Assert.StartsWith("Patchwire.Run.NotFound", Assert.Single(foreign).FullyQualifiedErrorId);
            Assert.Contains("PW_RUN_RETENTION_HOURS", foreign[0].Exception.Message);
            var (_, stopForeign) = other.Run($"Stop-PatchwireRun -Id {run.Id} -Confirm:$false");
            Assert.StartsWith("Patchwire.Run.NotFound", Assert.Single(stopForeign).FullyQualifiedErrorId);
        }

        Assert.Empty(session.Invoke($"Stop-PatchwireRun -Id {run.Id} -WhatIf"));
        Assert.Equal("running", ((PatchwireRun)session.Invoke($"Get-PatchwireRun {run.Id}")[0].BaseObject).State);
        var stopped = (PatchwireRun)session.Invoke($"Stop-PatchwireRun -Id {run.Id} -Confirm:$false")[0].BaseObject;
        Assert.Equal("cancelled", stopped.State);
        var (waited, failed) = session.Run($"Wait-PatchwireRun {run.Id}");
        Assert.Equal("cancelled", ((PatchwireRun)Assert.Single(waited).BaseObject).State);
        Assert.StartsWith("Patchwire.Run.cancelled", Assert.Single(failed).FullyQualifiedErrorId);
        var (_, again) = session.Run($"Stop-PatchwireRun -Id {run.Id} -Confirm:$false");
        Assert.StartsWith("Patchwire.Run.AlreadyFinished", Assert.Single(again).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(project.Path, "block.txt")));
    }
}
