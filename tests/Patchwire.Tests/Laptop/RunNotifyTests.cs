using System.Management.Automation;
using System.Runtime.InteropServices;
using Patchwire.PowerShell.DetachedRuns;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class RunNotifyTests
{
    private const string Ai = "printf 'from %s\\n' \"$PROMPT\" > \"$PROMPT.txt\"";

    /// <summary>A folder put first on PATH holding a notify-send that records its arguments (one per line) and exits <paramref name="exitCode"/>.</summary>
    private static (Dictionary<string, string?> Env, string Recorded) FakeNotifySend(LaptopTestBed bed, string token, int exitCode)
    {
        var bin = Path.Combine(bed.Temp, "bin-" + exitCode);
        Directory.CreateDirectory(bin);
        var recorded = Path.Combine(bed.Temp, $"notify-send-{exitCode}.args");
        var script = Path.Combine(bin, "notify-send");
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{recorded}'\nexit {exitCode}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = bed.LaptopEnvironment(token);
        env["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        return (env, recorded);
    }

    [Fact]
    public async Task Notify_runs_notify_send_with_the_outcome_and_never_the_prompt()
    {
        if (!OperatingSystem.IsLinux()) return; // notify-send is the Linux path; macOS and Windows use osascript and BurntToast
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var (env, recorded) = FakeNotifySend(bed, token, 0);
        using var session = new PowerShellSession(bed.LaptopHome, env);
        session.Invoke($"Set-Location '{project.Path}'");

        var run = (PatchwireRun)session.Invoke("Start-PatchwireAsk zebra | Wait-PatchwireRun -Notify")[0].BaseObject;
        Assert.Equal("succeeded", run.State);
        var args = File.ReadAllLines(recorded);
        Assert.Equal(3, args.Length);
        Assert.Equal("--app-name=Patchwire", args[0]);
        Assert.Equal("Patchwire: run succeeded", args[1]);
        Assert.StartsWith("team-app: 1 file(s) changed, ", args[2]);
        Assert.EndsWith($"(run {run.Id[..8]})", args[2]);
        Assert.DoesNotContain("zebra", File.ReadAllText(recorded));

        // Without -Notify nothing is shown.
        File.Delete(recorded);
        session.Invoke($"Wait-PatchwireRun {run.Id}");
        Assert.False(File.Exists(recorded));
    }

    [Fact]
    public async Task Notify_prefers_BurntToast_when_it_is_there_and_falls_back_to_the_host_when_the_command_fails()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var bed = await LaptopTestBed.StartAsync(Ai);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var (env, recorded) = FakeNotifySend(bed, token, 1);
        using var session = new PowerShellSession(bed.LaptopHome, env);
        session.Invoke($"Set-Location '{project.Path}'");
        var run = (PatchwireRun)session.Invoke("Start-PatchwireAsk quagga | Wait-PatchwireRun")[0].BaseObject;

        // notify-send fails (no notification daemon, say): the message goes to the host, as Write-Host would.
        var output = session.Invoke($"Wait-PatchwireRun {run.Id} -Notify 6>&1");
        var information = output.Select(o => o.BaseObject).OfType<InformationRecord>().Single();
        Assert.Contains("PSHOST", information.Tags);
        Assert.Equal($"Patchwire: run succeeded — {DesktopNotifier.Body(run)}", information.MessageData.ToString());
        Assert.True(File.Exists(recorded)); // it was tried first
        Assert.DoesNotContain("quagga", information.MessageData.ToString());

        // BurntToast's command, when the session has it, is used instead of the OS command.
        File.Delete(recorded);
        session.Invoke("function New-BurntToastNotification { param([string[]] $Text) $global:toast = $Text }");
        session.Invoke($"Wait-PatchwireRun {run.Id} -Notify");
        var toast = ((System.Collections.IEnumerable)session.GetVariable("toast")!).Cast<object>().Select(o => o.ToString()).ToArray();
        Assert.Equal(new[] { "Patchwire: run succeeded", DesktopNotifier.Body(run) }, toast);
        Assert.False(File.Exists(recorded));
    }

    [Fact]
    public void The_macOS_command_quotes_AppleScript_strings_and_other_systems_have_none()
    {
        var (file, args) = DesktopNotifier.CommandFor(OSPlatform.OSX, "Patchwire: run failed", "app: said \"no\" \\ twice\nreally")!.Value;
        Assert.Equal("osascript", file);
        Assert.Equal(new[] { "-e", "display notification \"app: said \\\"no\\\" \\\\ twice really\" with title \"Patchwire: run failed\"" }, args);
        Assert.Null(DesktopNotifier.CommandFor(OSPlatform.Windows, "t", "b"));
        var linux = DesktopNotifier.CommandFor(OSPlatform.Linux, "t", "b")!.Value;
        Assert.Equal("notify-send", linux.File);
        Assert.Equal(new[] { "--app-name=Patchwire", "t", "b" }, linux.Args);
    }
}
