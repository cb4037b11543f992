using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Patchwire.Tests.Runs;

public sealed class AskRunTests
{
    private const string ChangeEverything = """
        prompt=$(cat)
        echo "prompt: $prompt"
        echo "to stderr" >&2
        echo "line four" >> src/app.txt
        mkdir -p src/deep && printf 'brand new\n' > src/deep/new.txt
        rm gone.txt
        mv old-name.txt new-name.txt
        chmod +x run.sh
        printf '\x00\x01\x02\xff\xfePNG\x00binary' > image.bin
        env > "$NOTES/env.txt"
        git add -A && git commit -q -m "the AI committed" && git checkout -q -b ai-branch
        exit 0
        """;

    [Fact]
    public async Task Ask_streams_accepted_then_a_result_whose_diff_applies_and_leaves_the_checkout_exactly_as_before()
    {
        await using var bed = await RunsTestBed.StartAsync(ChangeEverything, new Dictionary<string, string?>
        {
            ["PW_AGENT_TOKEN"] = "legacy-secret-token-value",
            ["PW_TOKEN"] = "laptop-token-value",
            ["PW_GITHUB_API_KEY"] = "api-key-value",
            ["PW_DEMO_AI_SECONDS"] = "0.5",
            ["PW_AI_ENV"] = "PW_DEMO_AI_SECONDS",
            ["PW_NOT_LISTED"] = "not-listed-value",
        });
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "make changes ✓", project = "app" });

        Assert.Equal(System.Net.HttpStatusCode.OK, ask.Status);
        Assert.Equal("application/x-ndjson", ask.ContentType);
        Assert.Equal(new[] { "accepted", "result" }, ask.Events.Select(e => e.GetProperty("type").GetString()));
        Assert.True(ask.Events[0].GetProperty("queueWaitMs").GetInt64() >= 0);
        var result = ask.Final;
        Assert.Equal(0, result.GetProperty("exitCode").GetInt32());
        Assert.Contains("prompt: make changes ✓", result.GetProperty("stdout").GetString());
        Assert.Contains("to stderr", result.GetProperty("stderr").GetString());
        Assert.True(result.GetProperty("durationMs").GetInt64() >= 0);
        var files = result.GetProperty("files").EnumerateArray().Select(f => f.GetString()).Order().ToList();
        Assert.Equal(new[] { "gone.txt", "image.bin", "new-name.txt", "run.sh", "src/app.txt", "src/deep/new.txt" }, files);
        var changes = result.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("path").GetString()!);
        Assert.Equal("R", changes["new-name.txt"].GetProperty("status").GetString());
        Assert.Equal("old-name.txt", changes["new-name.txt"].GetProperty("oldPath").GetString());
        Assert.Equal("D", changes["gone.txt"].GetProperty("status").GetString());
        Assert.Equal("A", changes["image.bin"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, changes["image.bin"].GetProperty("additions").ValueKind);
        Assert.Equal(1, changes["src/app.txt"].GetProperty("additions").GetInt32());

        // The diff applies to the pre-run tree and reproduces every kind of change.
        var copy = CheckoutAssert.ApplyToCopy(repo, head, result.GetProperty("diff").GetString()!, bed.Temp);
        Assert.Equal("line one\nline two\nline three\nline four\n", copy.Read("src/app.txt"));
        Assert.Equal("brand new\n", copy.Read("src/deep/new.txt"));
        Assert.False(File.Exists(Path.Combine(copy.Path, "gone.txt")));
        Assert.False(File.Exists(Path.Combine(copy.Path, "old-name.txt")));
        Assert.StartsWith("a file that will be renamed", copy.Read("new-name.txt"));
        Assert.Equal(new byte[] { 0, 1, 2, 0xff, 0xfe, (byte)'P', (byte)'N', (byte)'G', 0, (byte)'b', (byte)'i', (byte)'n', (byte)'a', (byte)'r', (byte)'y' },
            File.ReadAllBytes(Path.Combine(copy.Path, "image.bin")));
        Assert.True(File.GetUnixFileMode(Path.Combine(copy.Path, "run.sh")).HasFlag(UnixFileMode.UserExecute));

        // The checkout is exactly as before: files, HEAD, branch, index; ignored files kept; the AI's commit and branch undone.
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("refs/heads/main", repo.Git("symbolic-ref", "HEAD").Trim());
        Assert.Equal("", repo.Status);
        Assert.Equal("ignored build output\n", repo.Read("build/output.bin"));
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));

        // The AI saw none of the agent's secrets; harmless settings pass.
        var env = File.ReadAllText(bed.Note("env.txt"));
        Assert.DoesNotContain("PW_AGENT_TOKEN", env);
        Assert.DoesNotContain("legacy-secret-token-value", env);
        Assert.DoesNotContain("laptop-token-value", env);
        Assert.DoesNotContain("api-key-value", env);
        Assert.DoesNotContain("not-listed-value", env);
        // The environment is an allowlist, with the sandbox off too: the names in PW_AI_ENV pass, HOME is the user's own.
        Assert.Contains("PW_DEMO_AI_SECONDS=0.5", env);
        Assert.Contains($"HOME={Path.Combine(bed.Home, "ai-home", "ana")}\n", env);
    }

    [Fact]
    public async Task The_prompt_reaches_the_AI_on_stdin_intact()
    {
        await using var bed = await RunsTestBed.StartAsync("sha256sum | cut -d' ' -f1");
        bed.CreateCheckout("ana", "app");
        using var client = bed.Client("ana");
        var prompt = string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i} ünïcödé\n"));

        await using var ask = await AskStream.RunAsync(client, new { prompt, project = "app" });

        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))).ToLowerInvariant();
        Assert.Equal(expected, ask.Final.GetProperty("stdout").GetString()!.Trim());
        Assert.Equal("", ask.Final.GetProperty("diff").GetString());
        Assert.Empty(ask.Final.GetProperty("files").EnumerateArray());
    }

    [Fact]
    public async Task An_AI_that_exits_3_still_gives_a_result_with_its_changes()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; echo half-done >> src/app.txt; echo 'gave up' >&2; exit 3");
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "try", project = "app" });

        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.Equal(3, ask.Final.GetProperty("exitCode").GetInt32());
        Assert.Contains("gave up", ask.Final.GetProperty("stderr").GetString());
        Assert.Equal(new[] { "src/app.txt" }, ask.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        CheckoutAssert.ApplyToCopy(repo, repo.Head, ask.Final.GetProperty("diff").GetString()!, bed.Temp);
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task Fifty_megabytes_of_output_are_cut_to_one_mebibyte_with_a_marker()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; head -c 52428800 /dev/zero | tr '\\0' 'x'; echo small >&2");
        var repo = bed.CreateCheckout("ana", "app");
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "talk a lot", project = "app" });

        var stdout = ask.Final.GetProperty("stdout").GetString()!;
        Assert.Equal(0, ask.Final.GetProperty("exitCode").GetInt32());
        Assert.StartsWith(new string('x', 1024 * 1024), stdout);
        Assert.Contains("[patchwire: output truncated after 1048576 bytes; 51380224 more bytes dropped]", stdout);
        Assert.True(stdout.Length < 1024 * 1024 + 200);
        Assert.Equal("small\n", ask.Final.GetProperty("stderr").GetString());
        Assert.Equal("", repo.Status);
    }

    [Fact]
    public async Task A_hanging_AI_with_a_grandchild_is_killed_whole_at_the_timeout_and_the_checkout_restored()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            echo partial >> src/app.txt
            echo stray > stray.txt
            sleep 300 &
            echo $! > "$NOTES/grandchild.pid"
            echo $$ > "$NOTES/ai.pid"
            sleep 300
            """, new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "3" }); // time for the script to reach its pid notes on a loaded box
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var ask = await AskStream.RunAsync(client, new { prompt = "hang", project = "app" });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("error", ask.Final.GetProperty("type").GetString());
        Assert.Equal("run_failed", ask.Final.GetProperty("code").GetString());
        Assert.Contains("PW_TIMEOUT_SEC", ask.Final.GetProperty("message").GetString());
        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(bed.Note("grandchild.pid")))), "the grandchild survived the timeout");
        Assert.False(ProcessProbe.IsAlive(int.Parse(File.ReadAllText(bed.Note("ai.pid")))), "the AI survived the timeout");
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
        Assert.Equal(0, (await bed.QueueAsync("ana")).GetProperty("inFlight").GetArrayLength());
    }

    [Fact]
    public async Task An_AI_killed_by_a_signal_reports_128_plus_the_signal_and_the_checkout_is_restored()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; echo before-death >> src/app.txt; kill -9 $$");
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "die", project = "app" });

        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.Equal(137, ask.Final.GetProperty("exitCode").GetInt32());
        Assert.Contains("+before-death", ask.Final.GetProperty("diff").GetString());
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task A_missing_AI_command_is_a_run_failed_error_and_touches_nothing()
    {
        await using var bed = await RunsTestBed.StartAsync("exit 0", new Dictionary<string, string?> { ["PW_AI_BIN"] = "/nonexistent/claude", ["PW_AI_ARGS"] = "--print" });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "hello", project = "app" });

        Assert.Equal("error", ask.Final.GetProperty("type").GetString());
        Assert.Equal("run_failed", ask.Final.GetProperty("code").GetString());
        Assert.Contains("/nonexistent/claude", ask.Final.GetProperty("message").GetString());
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task Quoted_AI_arguments_reach_the_command_as_separate_words()
    {
        await using var bed = await RunsTestBed.StartAsync("");
        File.WriteAllText(bed.ScriptPath, "#!/bin/bash\ncat >/dev/null\nfor a in \"$@\"; do echo \"[$a]\"; done\n");
        await bed.Agent.DisposeAsync();
        var env = new Dictionary<string, string?>(bed.Agent.Environment) { ["PW_AI_ARGS"] = $"'{bed.ScriptPath}' --print \"two words\" 'it''s'" };
        await using var agent = await AgentProcess.StartAsync(bed.Home, env);
        var token = agent.AddUser("ana");
        GitRepo.Init(Path.Combine(agent.ProjectsRoot, "ana", "app"));
        using var client = agent.Client(token);

        await using var ask = await AskStream.RunAsync(client, new { prompt = "args", project = "app" });

        Assert.Equal("[--print]\n[two words]\n[its]\n", ask.Final.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task An_AI_that_leaves_no_file_change_but_touches_the_index_still_gets_the_index_restored()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; echo n > staged.txt; git add staged.txt; rm staged.txt; git status >/dev/null");
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "stage and vanish", project = "app" });

        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.Equal("", ask.Final.GetProperty("diff").GetString());
        Assert.Equal("", repo.Status);
        Assert.Equal("", repo.Git("diff", "--cached", "--name-only"));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task An_AI_that_leaves_an_empty_folder_and_deletes_its_branch_is_undone()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; mkdir -p empty/nested; git checkout -q --detach; git branch -q -D main");
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        using var client = bed.Client("ana");

        await using var ask = await AskStream.RunAsync(client, new { prompt = "mess with git", project = "app" });

        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        Assert.False(Directory.Exists(Path.Combine(repo.Path, "empty")));
        Assert.Equal("refs/heads/main", repo.Git("symbolic-ref", "HEAD").Trim());
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);
    }
}
