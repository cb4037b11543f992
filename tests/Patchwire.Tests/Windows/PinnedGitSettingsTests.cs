using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Windows;

/// <summary>
/// core.autocrlf=false and core.longpaths=true (what a Windows box needs: snapshot bytes as they are, paths past 260
/// characters) ride on every git call the agent makes, here seen through a git on the agent's PATH that logs its
/// arguments before handing over to the real one.
/// </summary>
public sealed class PinnedGitSettingsTests
{
    [Fact]
    public async Task Every_git_call_of_a_run_carries_autocrlf_false_and_longpaths_true()
    {
        using var shim = new TempDirectory("pw-gitlog");
        var realGit = ProcessRunner.Run("sh", new[] { "-c", "command -v git" }, shim.Path).EnsureSuccess("command -v git").Stdout.Trim();
        var log = shim.Combine("calls.log");
        var bin = shim.Combine("bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "git"), $"#!/bin/sh\nprintf 'CALL' >> '{log}'\nfor a in \"$@\"; do printf ' [%s]' \"$a\" >> '{log}'; done\nprintf '\\n' >> '{log}'\nexec '{realGit}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "git"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            echo "changed" >> src/app.txt
            """, new Dictionary<string, string?>
        {
            ["PW_SANDBOX"] = "off",
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        });
        var repo = bed.CreateCheckout("ana", "app");
        using var ana = bed.Client("ana");

        await using var run = await AskStream.RunAsync(ana, new { prompt = "go", project = "app" });

        Assert.True("result" == run.Final.GetProperty("type").GetString(), "the run failed: " + run.Final);
        var calls = File.ReadAllLines(log).Where(l => l.StartsWith("CALL", StringComparison.Ordinal)).ToList();
        Assert.True(calls.Count >= 5, $"only {calls.Count} git calls were logged");
        Assert.All(calls, call =>
        {
            Assert.Contains("[core.autocrlf=false]", call);
            Assert.Contains("[core.longpaths=true]", call);
        });
        Assert.Equal("", repo.Status);
    }
}
