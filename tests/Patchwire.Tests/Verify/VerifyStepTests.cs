using System.Text.Json;
using Patchwire.Tests.DetachedRuns;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Verify;

/// <summary>
/// PW_VERIFY_CMD (issue 12, item 4): runs in the checkout after a run that changed files and before the restore; a
/// verifying event first, the outcome in result.verify and the audit line's verify_passed; a failed, hanging, flooding
/// or missing command is a failed verify, never an error, and the checkout is restored whatever it did.
/// </summary>
public sealed class VerifyStepTests
{
    private const string ChangingAi = """
        cat > /dev/null
        echo "line four" >> src/app.txt
        echo "ai done"
        """;

    /// <summary>
    /// An agent whose PW_VERIFY_CMD is <c>bash verify.sh --ci</c> (unless <paramref name="env"/> names another), the
    /// script in a folder of its own that is also its NOTES folder (the test reads what it leaves there).
    /// </summary>
    private static async Task<VerifyBed> StartAsync(string verifyScript, string ai = ChangingAi, Dictionary<string, string?>? env = null)
    {
        var scripts = new TempDirectory("pw-verify");
        try
        {
            var script = scripts.Combine("verify.sh");
            File.WriteAllText(script, $"#!/bin/bash\nNOTES='{scripts.Path}'\n{verifyScript}\n");
            var settings = new Dictionary<string, string?> { ["PW_VERIFY_CMD"] = $"bash '{script}' --ci" };
            if (env is not null) foreach (var (k, v) in env) settings[k] = v;
            var bed = await RunsTestBed.StartAsync(ai, settings);
            return new VerifyBed(bed, bed.CreateCheckout("ana", "app"), scripts);
        }
        catch
        {
            scripts.Dispose();
            throw;
        }
    }

    private sealed record VerifyBed(RunsTestBed Bed, GitRepo Repo, TempDirectory Scripts) : IAsyncDisposable
    {
        public string Note(string name) => Scripts.Combine(name);

        public async ValueTask DisposeAsync()
        {
            await Bed.DisposeAsync();
            Scripts.Dispose();
        }
    }

    private static JsonElement AuditLine(RunsTestBed bed) =>
        JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(bed.Home, "agent.log")))).RootElement.Clone();

    private static string[] Types(AskStream ask) => ask.Events.Select(e => e.GetProperty("type").GetString()!).ToArray();

    [Fact]
    public async Task A_passing_verify_runs_in_the_changed_checkout_before_the_restore_and_is_reported()
    {
        var v = await StartAsync("""
            echo "args: $*"
            grep -q "line four" src/app.txt && echo "saw the AI's change"
            echo "built" > build-artifact.txt
            echo "a warning" >&2
            env > "$NOTES/verify-env.txt"
            printf '#!/bin/sh\ntouch "%s/hook-ran"\n' "$NOTES" > .git/hooks/post-checkout
            chmod +x .git/hooks/post-checkout
            exit 0
            """, env: new Dictionary<string, string?> { ["PW_AGENT_TOKEN"] = "legacy-secret-token-value" });
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        Assert.Contains(bed.Agent.Output, l => l.StartsWith("verify: bash ", StringComparison.Ordinal) && l.EndsWith(" --ci (PW_VERIFY_CMD; at most 300 s)", StringComparison.Ordinal));
        Assert.Equal(new[] { "accepted", "verifying", "result" }, Types(ask));
        var verify = ask.Final.GetProperty("verify");
        Assert.True(verify.GetProperty("passed").GetBoolean());
        Assert.Equal(0, verify.GetProperty("exitCode").GetInt32());
        Assert.False(verify.GetProperty("timedOut").GetBoolean());
        Assert.True(verify.GetProperty("durationMs").GetInt64() >= 0);
        var output = verify.GetProperty("output").GetString()!;
        Assert.Contains("args: --ci", output);
        Assert.Contains("saw the AI's change", output);
        Assert.Contains("a warning", output);
        // The diff was captured before the check: what the check wrote is not in it, and the restore removed it.
        Assert.Equal(new[] { "src/app.txt" }, ask.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
        Assert.True(AuditLine(bed).GetProperty("verify_passed").GetBoolean());
        // What the check planted in .git (no sandbox here) was taken out before the agent's own git ran the restore.
        Assert.False(File.Exists(Path.Combine(repo.Path, ".git", "hooks", "post-checkout")));
        Assert.False(File.Exists(v.Note("hook-ran")));
        // The AI's environment allowlist: the agent's secrets never reach the check.
        var env = File.ReadAllText(v.Note("verify-env.txt"));
        Assert.DoesNotContain("legacy-secret-token-value", env);
        Assert.Contains($"HOME={Path.Combine(bed.Home, "ai-home", "ana")}", env);
    }

    [Fact]
    public async Task A_failing_verify_is_a_result_with_passed_false_not_an_error()
    {
        var v = await StartAsync("""
            echo "3 tests, 1 failure"
            echo "Expected 4, got 5" >&2
            exit 3
            """);
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        Assert.Equal(new[] { "accepted", "verifying", "result" }, Types(ask));
        Assert.Equal(0, ask.Final.GetProperty("exitCode").GetInt32());
        Assert.Contains("line four", ask.Final.GetProperty("diff").GetString());
        var verify = ask.Final.GetProperty("verify");
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Equal(3, verify.GetProperty("exitCode").GetInt32());
        Assert.Contains("Expected 4, got 5", verify.GetProperty("output").GetString());
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.False(AuditLine(bed).GetProperty("verify_passed").GetBoolean());
    }

    [Fact]
    public async Task A_hanging_verify_is_killed_with_its_children_at_the_timeout_reported_and_the_checkout_restored()
    {
        var v = await StartAsync("""
            echo "starting the suite"
            echo "junk" > src/app.txt
            echo "stray" > stray-file.txt
            sleep 300 &
            echo $! > "$NOTES/child.pid"
            echo $$ > "$NOTES/verify.pid"
            sleep 300
            """, env: new Dictionary<string, string?> { ["PW_VERIFY_TIMEOUT_SEC"] = "2" });
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        Assert.Equal(new[] { "accepted", "verifying", "result" }, Types(ask));
        var verify = ask.Final.GetProperty("verify");
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.True(verify.GetProperty("timedOut").GetBoolean());
        Assert.Equal(-1, verify.GetProperty("exitCode").GetInt32());
        var output = verify.GetProperty("output").GetString()!;
        Assert.Contains("starting the suite", output);
        Assert.Contains("PW_VERIFY_TIMEOUT_SEC (2 s)", output);
        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(v.Note("child.pid")).Trim())));
        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(v.Note("verify.pid")).Trim())));
        // The diff is the AI's alone; what the check overwrote or added is gone.
        Assert.DoesNotContain("junk", ask.Final.GetProperty("diff").GetString());
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
        Assert.False(AuditLine(bed).GetProperty("verify_passed").GetBoolean());
    }

    [Fact]
    public async Task A_verify_printing_50_MB_keeps_only_a_bounded_tail()
    {
        var v = await StartAsync("""
            echo "FIRST LINE"
            head -c 52428800 /dev/zero | tr '\0' 'x'
            echo
            echo "LAST LINE" >&2
            exit 1
            """);
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        var verify = ask.Final.GetProperty("verify");
        var output = verify.GetProperty("output").GetString()!;
        Assert.True(output.Length <= 64 * 1024 + 200, $"output is {output.Length} characters");
        Assert.DoesNotContain("FIRST LINE", output);
        Assert.EndsWith("LAST LINE\n", output);
        Assert.StartsWith("[patchwire: output truncated: the first ", output);
        Assert.Equal(1, verify.GetProperty("exitCode").GetInt32());
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Equal("", repo.Status);
    }

    [Fact]
    public async Task A_missing_verify_command_is_a_failed_verify_that_names_it()
    {
        var v = await StartAsync("exit 0", env: new Dictionary<string, string?> { ["PW_VERIFY_CMD"] = "no-such-verify-tool-pw --all" });
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        Assert.Equal(new[] { "accepted", "verifying", "result" }, Types(ask));
        var verify = ask.Final.GetProperty("verify");
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Equal(-1, verify.GetProperty("exitCode").GetInt32());
        Assert.Contains("the verify command 'no-such-verify-tool-pw' was not found (PW_VERIFY_CMD='no-such-verify-tool-pw --all')", verify.GetProperty("output").GetString());
        Assert.Contains("line four", ask.Final.GetProperty("diff").GetString());
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.False(AuditLine(bed).GetProperty("verify_passed").GetBoolean());
    }

    [Fact]
    public async Task A_verify_script_of_the_project_itself_runs_from_the_checkout()
    {
        // The AI may have changed the project's own test script: that is what runs.
        var ai = """
            cat > /dev/null
            printf '#!/bin/sh\necho "project check saw: $(tail -n 1 src/app.txt)"\nexit 4\n' > check.sh
            chmod +x check.sh
            echo "line four" >> src/app.txt
            """;
        var v = await StartAsync("exit 0", ai, new Dictionary<string, string?> { ["PW_VERIFY_CMD"] = "./check.sh" });
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "change", project = "app" });

        var verify = ask.Final.GetProperty("verify");
        Assert.Equal(4, verify.GetProperty("exitCode").GetInt32());
        Assert.Contains("project check saw: line four", verify.GetProperty("output").GetString());
        Assert.Equal("", repo.Status);
    }

    [Fact]
    public async Task A_run_that_changes_nothing_does_not_verify()
    {
        var v = await StartAsync("""touch "$NOTES/verify-ran" """, ai: "cat > /dev/null; echo nothing to do");
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "look", project = "app" });

        Assert.Equal(new[] { "accepted", "result" }, Types(ask));
        Assert.False(ask.Final.TryGetProperty("verify", out var _1));
        Assert.False(File.Exists(v.Note("verify-ran")));
        Assert.False(AuditLine(bed).TryGetProperty("verify_passed", out var _2));
    }

    [Fact]
    public async Task A_detached_run_records_the_verifying_event_and_its_result_carries_verify()
    {
        var v = await StartAsync("""echo "checked"; exit 2""");
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var id = await DetachedRunClient.StartAsync(client, new { prompt = "change", project = "app" });
        var run = await DetachedRunClient.WaitAsync(client, id);

        Assert.Equal("succeeded", DetachedRunClient.State(run));
        var verify = run.GetProperty("result").GetProperty("verify");
        Assert.False(verify.GetProperty("passed").GetBoolean());
        Assert.Equal(2, verify.GetProperty("exitCode").GetInt32());
        Assert.Contains("checked", verify.GetProperty("output").GetString());
        var (_, events, _) = await DetachedRunClient.EventsAsync(client, id);
        Assert.Equal(new[] { "accepted", "verifying", "result" }, events.Select(e => e.GetProperty("type").GetString()));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.False(AuditLine(bed).GetProperty("verify_passed").GetBoolean());
    }

    [Fact]
    public async Task A_client_that_goes_away_during_the_verify_stops_it_and_the_checkout_is_restored()
    {
        var v = await StartAsync("""
            echo "junk" > src/app.txt
            sleep 300 &
            echo $! > "$NOTES/child.pid"
            echo $$ > "$NOTES/verify.pid"
            sleep 300
            """);
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        using (var cts = new CancellationTokenSource())
        {
            var ask = await AskStream.OpenAsync(client, new { prompt = "change", project = "app" }, cts.Token);
            var verifyPid = await ProcessProbe.PollAsync(() => Task.FromResult(File.Exists(v.Note("verify.pid")) ? File.ReadAllText(v.Note("verify.pid")).Trim() : ""), t => t.Length > 0, TimeSpan.FromSeconds(60));
            Assert.NotEqual("", verifyPid);
            cts.Cancel();
            await ask.DisposeAsync();
            Assert.True(await ProcessProbe.WaitGoneAsync(int.Parse(verifyPid), TimeSpan.FromSeconds(30)), "the verify outlived its run");
        }

        var restored = await ProcessProbe.PollAsync(() => Task.FromResult(repo.Status == "" && !Directory.EnumerateFiles(Path.Combine(bed.Home, "agent-state", "runs")).Any()), r => r, TimeSpan.FromSeconds(30));
        Assert.True(restored, "the checkout was not restored after the client left");
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.True(await ProcessProbe.WaitGoneAsync(int.Parse(File.ReadAllText(v.Note("child.pid")).Trim()), TimeSpan.FromSeconds(10)));
        Assert.False(File.Exists(Path.Combine(bed.Home, "agent.log")));
    }

    [Fact]
    public async Task A_verify_still_running_when_the_agent_is_killed_is_stopped_and_its_checkout_restored_on_restart()
    {
        var v = await StartAsync("""
            echo "junk" > src/app.txt
            echo $$ > "$NOTES/verify.pid"
            sleep 300
            """);
        await using var _ = v;
        var (bed, repo) = (v.Bed, v.Repo);
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        using var cts = new CancellationTokenSource();
        var ask = await AskStream.OpenAsync(client, new { prompt = "change", project = "app" }, cts.Token);
        var verifyPid = await ProcessProbe.PollAsync(() => Task.FromResult(File.Exists(v.Note("verify.pid")) ? File.ReadAllText(v.Note("verify.pid")).Trim() : ""), t => t.Length > 0, TimeSpan.FromSeconds(60));
        Assert.NotEqual("", verifyPid);
        // The journal records the verify's pid just after it starts (it has no prompt to hold it back, unlike the AI).
        var runs = Path.Combine(bed.Home, "agent-state", "runs");
        var journaled = await ProcessProbe.PollAsync(() => Task.FromResult(Directory.GetFiles(runs, "*.json").Any(f => File.ReadAllText(f).Contains($"\"aiProcessId\":{verifyPid}"))), j => j, TimeSpan.FromSeconds(30));
        Assert.True(journaled, "the verify's pid never reached the run journal");

        bed.Agent.KillHard();
        cts.Cancel();
        await ask.DisposeAsync();
        await bed.RestartAsync();

        Assert.False(ProcessProbe.IsAlive(int.Parse(verifyPid)), "the verify survived the restart's recovery");
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }

    [Theory]
    [InlineData("PW_VERIFY_CMD", "'unclosed", "PW_VERIFY_CMD is not valid")]
    [InlineData("PW_VERIFY_TIMEOUT_SEC", "0", "PW_VERIFY_TIMEOUT_SEC must be from 1")]
    [InlineData("PW_VERIFY_TIMEOUT_SEC", "-5", "PW_VERIFY_TIMEOUT_SEC must be a whole number")]
    [InlineData("PW_VERIFY_TIMEOUT_SEC", "soon", "PW_VERIFY_TIMEOUT_SEC must be a whole number")]
    public async Task A_malformed_verify_setting_stops_the_start_naming_it(string name, string value, string message)
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("home"));
        var (exit, output) = await AgentProcess.RunToExitAsync(temp.Combine("home"), new Dictionary<string, string?> { [name] = value });
        Assert.Equal(2, exit);
        Assert.Contains(message, output);
    }
}
