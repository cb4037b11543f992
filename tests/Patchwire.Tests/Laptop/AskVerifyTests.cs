using System.Management.Automation;
using System.Text.Json;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.DetachedRuns;
using Patchwire.PowerShell.Patch;

namespace Patchwire.Tests.Laptop;

/// <summary>
/// The agent's verify step as the module shows it (issue 12, item 4): result.Verify and its view, -Apply refusing a
/// failed verify unless -Force, 'patchwire ask --yes' refusing it unless --force, detached runs' results.
/// </summary>
[Collection(PowerShellCollection.Name)]
public sealed class AskVerifyTests
{
    // The prompt 'break' makes a change the verify command rejects; 'nothing' changes nothing.
    private const string EditingAi = """
        [ "$PROMPT" = nothing ] && exit 0
        sed -i 's/^line 2$/line TWO/' f.txt
        [ "$PROMPT" = break ] && echo broken > break.txt
        exit 0
        """;

    private static readonly Dictionary<string, string?> VerifyEnv = new()
    {
        ["PW_VERIFY_CMD"] = """bash -c 'if [ -e break.txt ]; then echo "1 test failed: break.txt is here" >&2; exit 1; fi; echo "all tests passed"'""",
    };

    private static string View(PowerShellSession session, object result) =>
        string.Join("\n", session.Invoke("$r | Out-String -Width 200", new Dictionary<string, object?> { ["r"] = result }).Select(o => o.ToString()));

    [Fact]
    public async Task A_failed_verify_is_shown_and_not_applied_unless_Force()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, VerifyEnv);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var refused = session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'break' -Apply 3>&1");
        var result = (PatchwireAskResult)Assert.Single(refused, o => o.BaseObject is PatchwireAskResult).BaseObject;
        Assert.False(result.Verify!.Passed);
        Assert.False(result.VerifyPassed);
        Assert.Equal(1, result.Verify.ExitCode);
        Assert.Contains("1 test failed: break.txt is here", result.Verify.Output);
        Assert.Null(result.Applied);
        Assert.Equal(result.Diff, File.ReadAllText(result.SavedPatch!));
        Assert.Contains(refused, o => o.BaseObject is WarningRecord w && w.Message.StartsWith("Not applied because the agent's verify command FAILED (exit 1,", StringComparison.Ordinal) && w.Message.Contains("-Force"));
        Assert.Contains(refused, o => o.BaseObject is WarningRecord w && w.Message.StartsWith("The agent's verify command FAILED (exit 1", StringComparison.Ordinal));
        Assert.DoesNotContain("line TWO", project.Read("f.txt"));
        Assert.False(File.Exists(Path.Combine(project.Path, "break.txt")));
        var view = View(session, result);
        Assert.Contains("FAILED (exit 1,", view);
        Assert.Contains("  1 test failed: break.txt is here", view);

        var forced = (PatchwireAskResult)Assert.Single(session.Invoke($"Invoke-PatchwireAsk 'break' -Apply -Force")).BaseObject;
        Assert.False(forced.VerifyPassed);
        Assert.Equal(PatchApplyMethod.Direct, forced.Applied);
        Assert.Equal("broken\n", project.Read("break.txt"));

        // The paper trail: both runs' lines record the failed verify.
        var log = Path.Combine(bed.AgentHome, "agent.log");
        var entries = session.Invoke($"Get-PatchwireAuditLog -Path '{log}'").Select(o => (Patchwire.PowerShell.Audit.PatchwireAuditEntry)o.BaseObject).ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.False(e.VerifyPassed));
        Assert.All(entries, e => Assert.EndsWith("exit 0 verify FAILED", e.Outcome));
    }

    [Fact]
    public async Task A_passing_verify_applies_and_a_run_without_changes_has_no_verify()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, VerifyEnv);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var result = (PatchwireAskResult)Assert.Single(session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'fine' -Apply")).BaseObject;
        Assert.True(result.Verify!.Passed);
        Assert.Contains("all tests passed", result.Verify.Output);
        Assert.Equal(PatchApplyMethod.Direct, result.Applied);
        Assert.Contains("line TWO", project.Read("f.txt"));
        Assert.Contains("passed (exit 0,", View(session, result));

        var unchanged = (PatchwireAskResult)Assert.Single(session.Invoke("Invoke-PatchwireAsk 'nothing' -Apply")).BaseObject;
        Assert.Null(unchanged.Verify);
        Assert.True(unchanged.VerifyPassed);
        Assert.Contains("(not run)", View(session, unchanged));
    }

    [Fact]
    public async Task A_detached_run_s_result_carries_its_verify_and_patchwire_result_apply_needs_force()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, VerifyEnv);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var run = (PatchwireRun)Assert.Single(session.Invoke($"Set-Location '{project.Path}'; Start-PatchwireAsk 'break' | Wait-PatchwireRun -Timeout 00:01:00")).BaseObject;
        Assert.Equal("succeeded", run.State);
        Assert.False(run.Result!.Verify!.Passed);
        Assert.Contains("1 test failed", run.Result.Verify.Output);

        var (_, errors) = session.Run($"patchwire result {run.Id} --apply");
        Assert.Contains("not applied because the agent's verify command FAILED", Assert.Single(errors).ToString());
        Assert.DoesNotContain("line TWO", project.Read("f.txt"));
        session.Invoke($"patchwire result {run.Id} --apply --force");
        Assert.Contains("line TWO", project.Read("f.txt"));
    }

    [Fact]
    public async Task Cli_ask_yes_saves_a_failed_verify_and_exits_1_force_applies_it_and_json_is_one_document()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, VerifyEnv);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        var refused = await ChildPwsh.RunAsync(bed, project.Path, "patchwire ask break --yes", token);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("The agent's verify command FAILED (exit 1", refused.Stdout);
        Assert.Contains("1 test failed: break.txt is here", refused.Stdout);
        Assert.Contains("so the diff was not applied; it is saved to", refused.Stderr);
        Assert.DoesNotContain("line TWO", project.Read("f.txt"));

        var json = await ChildPwsh.RunAsync(bed, project.Path, "patchwire ask break --yes --json", token);
        Assert.Equal(1, json.ExitCode);
        var doc = ChildPwsh.OnlyJson(json.Stdout);
        var verify = doc.GetProperty("verify");
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Equal(1, verify.GetProperty("exitCode").GetInt32());
        Assert.Contains("break.txt is here", verify.GetProperty("output").GetString());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("applied").ValueKind);
        Assert.True(File.Exists(doc.GetProperty("savedPatch").GetString()));
        Assert.Contains("f.txt", doc.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));

        var forced = await ChildPwsh.RunAsync(bed, project.Path, "patchwire ask break --yes --force --json", token);
        Assert.True(forced.ExitCode == 0, forced.Stdout + forced.Stderr);
        Assert.Equal("Direct", ChildPwsh.OnlyJson(forced.Stdout).GetProperty("applied").GetString());
        Assert.Contains("line TWO", project.Read("f.txt"));
    }
}
