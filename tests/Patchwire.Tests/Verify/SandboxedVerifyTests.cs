using Patchwire.Tests.Runs;
using Patchwire.Tests.Sandbox;

namespace Patchwire.Tests.Verify;

/// <summary>The verify step runs inside the same sandbox as the AI (bubblewrap): it sees what the AI sees, nothing more.</summary>
public sealed class SandboxedVerifyTests
{
    private const string ChangingAi = """
        cat > /dev/null
        echo "line three" >> src/app.txt
        """;

    /// <summary>A sandboxed agent whose PW_VERIFY_CMD is a script installed in a folder of its own (shown read-only, as the AI's is).</summary>
    private static async Task<VerifyBed> StartAsync(string verifyScript, Dictionary<string, string?>? env = null)
    {
        var install = new TempDirectory("pw-verify-install");
        var folder = install.Path;
        var script = Path.Combine(folder, "verify");
        File.WriteAllText(script, $"#!/bin/bash\n{verifyScript}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var settings = new Dictionary<string, string?> { ["PW_VERIFY_CMD"] = script + " --ci" };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        try
        {
            var bed = await SandboxTestBed.StartAsync(ChangingAi, settings);
            return new VerifyBed(bed, bed.CreateCheckout("ana", "app", "top secret"), install);
        }
        catch
        {
            install.Dispose();
            throw;
        }
    }

    private sealed record VerifyBed(SandboxTestBed Bed, GitRepo Repo, TempDirectory Install) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Bed.DisposeAsync();
            Install.Dispose();
        }
    }

    [SandboxFact]
    public async Task The_verify_sees_the_checkout_and_its_private_home_but_not_the_agents_state_or_other_processes()
    {
        var v = await StartAsync("""
            echo "args: $*"
            echo "change: $(tail -n 1 src/app.txt)"
            echo "home: $HOME"
            test -e "$HOME/../../users.json" && echo "USERS VISIBLE" || echo "users hidden"
            test -e "$HOME/../../../outside/marker" && echo "OUTSIDE VISIBLE" || echo "outside hidden"
            touch .git/planted-by-verify 2>/dev/null && echo "GIT WRITABLE" || echo "git read-only"
            echo "processes: $(ls /proc | grep -c '^[0-9]')"
            echo "built" > build-artifact.txt
            """);
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        File.WriteAllText(Path.Combine(bed.Outside, "marker"), "x");
        Assert.True(File.Exists(Path.Combine(bed.Home, "users.json")));

        var result = await bed.AskAsync("ana", "app");

        var output = result.GetProperty("verify").GetProperty("output").GetString()!;
        Assert.True(result.GetProperty("verify").GetProperty("passed").GetBoolean(), output);
        Assert.Contains("args: --ci", output);
        Assert.Contains("change: line three", output);
        Assert.Contains($"home: {Path.Combine(bed.Home, "ai-home", "ana")}", output);
        Assert.Contains("users hidden", output);
        Assert.Contains("outside hidden", output);
        Assert.Contains("git read-only", output);
        var processes = int.Parse(output.Split('\n').Single(l => l.StartsWith("processes: ")).Substring("processes: ".Length));
        Assert.True(processes < 10, $"the verify saw {processes} processes: not its own PID namespace");
        Assert.False(File.Exists(Path.Combine(repo.Path, ".git", "planted-by-verify")));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }

    [SandboxFact]
    public async Task A_sandboxed_verify_that_hangs_is_killed_whole_at_its_timeout_and_the_checkout_restored()
    {
        var v = await StartAsync("""
            echo "junk" > src/app.txt
            sleep 300 &
            ( setsid sleep 301 ) &
            sleep 300
            """, new Dictionary<string, string?> { ["PW_VERIFY_TIMEOUT_SEC"] = "2" });
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);

        var result = await bed.AskAsync("ana", "app");

        var verify = result.GetProperty("verify");
        Assert.True(verify.GetProperty("timedOut").GetBoolean());
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Empty(await SandboxTestBed.WaitNoProcessesInAsync(repo.Path, TimeSpan.FromSeconds(10)));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }
}
