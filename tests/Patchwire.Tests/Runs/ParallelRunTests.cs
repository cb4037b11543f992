using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Patchwire.Tests.DetachedRuns.DetachedRunClient;

namespace Patchwire.Tests.Runs;

/// <summary>
/// Runs in folders of their own (PW_RUN_WORKTREES, default on): runs of one user on one project side by side, each with
/// its own diff; the checkout only read; run folders removed after the run, by recovery after a crash, and never able
/// to write the checkout's repository.
/// </summary>
public sealed class ParallelRunTests
{
    /// <summary>
    /// Each run writes its prompt into src/app.txt, then waits (up to 30 s) until a run with the other prompt has
    /// started too (or 0.05 s times the number in notes/patience): two runs of one project that take turns would never
    /// see each other. Notes where it ran.
    /// </summary>
    private const string MeetingAi = """
        prompt=$(cat)
        echo "$PWD" > "$NOTES/pwd-$prompt"
        echo "written by $prompt" >> src/app.txt
        touch "$NOTES/started-$prompt"
        other=$([ "$prompt" = "one" ] && echo two || echo one)
        for i in $(seq "$(cat "$NOTES/patience" 2>/dev/null || echo 600)"); do
          [ -f "$NOTES/started-$other" ] && break
          sleep 0.05
        done
        [ -f "$NOTES/started-$other" ] && echo "met $other" || echo "alone"
        """;

    [Fact]
    public async Task Two_runs_of_one_user_on_one_project_run_side_by_side_and_each_diff_holds_only_its_own_edit()
    {
        await using var bed = await RunsTestBed.StartAsync(MeetingAi, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_PER_USER"] = "2" });
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        var objectsBefore = GitHardeningTests.FullFingerprint(Path.Combine(repo.Path, ".git", "objects"));
        using var ana = bed.Client("ana");

        var runs = await Task.WhenAll(AskStream.RunAsync(ana, new { prompt = "one", project = "app" }), AskStream.RunAsync(ana, new { prompt = "two", project = "app" }));

        foreach (var (run, prompt, other) in new[] { (runs[0], "one", "two"), (runs[1], "two", "one") })
        {
            Assert.True("result" == run.Final.GetProperty("type").GetString(), "the run failed: " + run.Final);
            Assert.Contains("met " + other, run.Final.GetProperty("stdout").GetString());
            var diff = run.Final.GetProperty("diff").GetString()!;
            Assert.Contains("+written by " + prompt, diff);
            Assert.DoesNotContain("written by " + other, diff);
            var copy = CheckoutAssert.ApplyToCopy(repo, head, diff, bed.Temp);
            Assert.Equal("line one\nline two\nline three\nwritten by " + prompt + "\n", copy.Read("src/app.txt"));
        }
        // Each ran in a folder of its own under the user's folder, now gone; the checkout and its objects were only read.
        var folders = new[] { File.ReadAllText(bed.Note("pwd-one")).Trim(), File.ReadAllText(bed.Note("pwd-two")).Trim() };
        Assert.NotEqual(folders[0], folders[1]);
        var runsFolder = Path.Combine(bed.Agent.ProjectsRoot, "ana", ".patchwire-runs");
        foreach (var folder in folders)
        {
            Assert.Equal(ProjectPathsReal(runsFolder), Path.GetDirectoryName(folder));
            Assert.StartsWith("app.", Path.GetFileName(folder));
            Assert.False(Directory.Exists(folder), "a run folder was left behind");
        }
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("refs/heads/main", repo.Git("symbolic-ref", "HEAD").Trim());
        Assert.True(objectsBefore.SequenceEqual(GitHardeningTests.FullFingerprint(Path.Combine(repo.Path, ".git", "objects"))), "a run wrote the checkout's objects");
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));
    }

    [Fact]
    public async Task With_run_worktrees_off_runs_of_one_project_take_turns_in_the_checkout_and_a_bad_value_stops_the_start()
    {
        await using var bed = await RunsTestBed.StartAsync(MeetingAi, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_PER_USER"] = "2",
            ["PW_RUN_WORKTREES"] = "off",
        });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        File.WriteAllText(bed.Note("patience"), "20");
        using var ana = bed.Client("ana");

        // The first run waits alone for the other (which cannot start while it holds the checkout), then the second
        // finds the first's start note: "alone" once, then "met".
        var runs = await Task.WhenAll(AskStream.RunAsync(ana, new { prompt = "one", project = "app" }), AskStream.RunAsync(ana, new { prompt = "two", project = "app" }));

        var outputs = runs.Select(r => r.Final.GetProperty("stdout").GetString()!).ToList();
        Assert.Single(outputs, o => o.Contains("alone"));
        Assert.Equal(repo.Path, ProjectPathsReal(File.ReadAllText(bed.Note("pwd-one")).Trim()));
        CheckoutAssert.SameTree(before, repo.Path);

        foreach (var bad in new[] { "maybe", "2" })
        {
            var home = Directory.CreateDirectory(Path.Combine(bed.Temp, "home-" + Guid.NewGuid().ToString("N")[..6])).FullName;
            var (exit, output) = await AgentProcess.RunToExitAsync(home, new Dictionary<string, string?> { ["PW_RUN_WORKTREES"] = bad });
            Assert.NotEqual(0, exit);
            Assert.Contains("PW_RUN_WORKTREES must be on or off", output);
        }
    }

    [Fact]
    public async Task The_AI_runs_git_in_its_folder_but_whatever_it_plants_there_never_reaches_the_checkouts_repository()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            git log --format=%s -1 > "$NOTES/log" 2>&1
            git cat-file -t HEAD >> "$NOTES/log" 2>&1
            echo "by the AI" >> src/app.txt
            git -c user.name=ai -c user.email=ai@x add -A && git -c user.name=ai -c user.email=ai@x commit -qm "ai commit"
            git config core.fsmonitor "touch $NOTES/ran-fsmonitor"
            cp "$NOTES/alternates" .git/objects/info/alternates
            mkdir -p .git/hooks && printf '#!/bin/sh\ntouch %s/ran-hook\n' "$NOTES" > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout
            mkdir -p locked/inner && echo x > locked/inner/f.txt && chmod 0500 locked/inner locked
            """);
        var repo = bed.CreateCheckout("ana", "app");
        var ben = bed.CreateCheckout("ben", "web");
        File.WriteAllText(bed.Note("alternates"), Path.Combine(ben.Path, ".git", "objects") + "\n");
        // The agent writes the checkout's config itself before reading it (a run without a baseline): compared apart.
        var gitBefore = GitHardeningTests.FullFingerprint(Path.Combine(repo.Path, ".git")).Where(e => !e.StartsWith("config ", StringComparison.Ordinal)).ToList();
        var benBefore = GitHardeningTests.FullFingerprint(ben.Path);
        using var ana = bed.Client("ana");

        await using var run = await AskStream.RunAsync(ana, new { prompt = "go", project = "app" });

        Assert.True("result" == run.Final.GetProperty("type").GetString(), "the run failed: " + run.Final);
        // git works in the run folder: HEAD is the checkout's commit, read through the borrowed objects.
        Assert.Equal("sample project\ncommit\n", File.ReadAllText(bed.Note("log")));
        var files = run.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()).Order().ToList();
        Assert.Equal(new[] { "locked/inner/f.txt", "src/app.txt" }, files);
        Assert.Empty(Directory.GetFiles(bed.Notes, "ran-*"));
        Assert.True(gitBefore.SequenceEqual(GitHardeningTests.FullFingerprint(Path.Combine(repo.Path, ".git")).Where(e => !e.StartsWith("config ", StringComparison.Ordinal))), "the checkout's .git changed");
        var config = File.ReadAllText(Path.Combine(repo.Path, ".git", "config"));
        Assert.DoesNotContain("fsmonitor", config);
        Assert.DoesNotContain(bed.Notes, config);
        Assert.True(benBefore.SequenceEqual(GitHardeningTests.FullFingerprint(ben.Path)), "ben's checkout changed");
        // The folder went, read-only subfolders and all.
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(bed.Agent.ProjectsRoot, "ana", ".patchwire-runs")));
    }

    [Fact]
    public async Task After_kill_9_the_restart_kills_the_orphaned_AI_and_removes_its_run_folder_and_any_stray_one()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            echo "half-made" >> src/app.txt
            echo $$ > "$NOTES/ai.pid"
            echo "$PWD" > "$NOTES/pwd"
            sleep 300
            """);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        int pid;
        string folder;
        using (var ana = bed.Client("ana"))
        {
            await using var stream = await AskStream.OpenAsync(ana, new { prompt = "go", project = "app" });
            pid = await DisconnectTests.WaitForPidAsync(bed.Note("ai.pid"));
            folder = File.ReadAllText(bed.Note("pwd")).Trim();
            bed.Agent.KillHard();
        }
        Assert.True(Directory.Exists(folder));
        // A run folder no journal names (a crash between its creation and the journal), with a folder the AI locked.
        var stray = Path.Combine(bed.Agent.ProjectsRoot, "ben", ".patchwire-runs", "web.0123456789abcdef");
        Directory.CreateDirectory(Path.Combine(stray, "locked"));
        File.WriteAllText(Path.Combine(stray, "locked", "f.txt"), "x");
        File.SetUnixFileMode(Path.Combine(stray, "locked"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        await bed.RestartAsync();

        Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(10)), "the orphaned AI outlived the restart");
        Assert.False(Directory.Exists(folder), "the interrupted run's folder was left");
        Assert.False(Directory.Exists(stray), "a stray run folder was left");
        Assert.Contains(bed.Agent.Output, l => l.Contains("removed the folder") && l.Contains(folder));
        Assert.Contains(bed.Agent.Output, l => l.Contains("removed run folder") && l.Contains(stray));
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }

    /// <summary>"block": notes its pid and waits for a release file; anything else edits one file.</summary>
    private const string BlockingAi = """
        prompt=$(cat)
        if [ "$prompt" = "block" ]; then
          echo $$ >> "$NOTES/ai.pids"
          while [ ! -f "$NOTES/release" ]; do sleep 0.05; done
        fi
        echo "edited by $prompt" >> src/app.txt
        """;

    [Fact]
    public async Task A_user_over_the_cap_of_detached_runs_in_progress_is_refused_with_429_and_others_are_not()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi, new Dictionary<string, string?>
        {
            ["PW_MAX_QUEUED_PER_USER"] = "2",
            ["PW_MAX_CONCURRENT_PER_USER"] = "1",
        });
        bed.CreateCheckout("ana", "app");
        bed.CreateCheckout("ben", "web");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");

        var running = await StartAsync(ana, new { prompt = "block", project = "app" });
        var queued = await StartAsync(ana, new { prompt = "block", project = "app" });
        using (var refused = await ana.PostAsJsonAsync("/runs", new { prompt = "third", project = "app" }))
        {
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("too many detached runs", body.GetProperty("error").GetString());
            Assert.Contains("PW_MAX_QUEUED_PER_USER", body.GetProperty("message").GetString());
        }
        Assert.Equal(2, (await GetAsync(ana, "/runs")).Body.GetArrayLength()); // the refused one left no record
        var other = await StartAsync(ben, new { prompt = "ben's", project = "web" });
        Assert.Equal("succeeded", State(await WaitAsync(ben, other)));

        File.WriteAllText(bed.Note("release"), "");
        Assert.Equal("succeeded", State(await WaitAsync(ana, running)));
        Assert.Equal("succeeded", State(await WaitAsync(ana, queued)));
        var again = await StartAsync(ana, new { prompt = "again", project = "app" });
        Assert.Equal("succeeded", State(await WaitAsync(ana, again)));

        foreach (var bad in new[] { "0", "lots", "-3", "100001" })
        {
            var home = Directory.CreateDirectory(Path.Combine(bed.Temp, "home-" + Guid.NewGuid().ToString("N")[..6])).FullName;
            var (exit, output) = await AgentProcess.RunToExitAsync(home, new Dictionary<string, string?> { ["PW_MAX_QUEUED_PER_USER"] = bad });
            Assert.NotEqual(0, exit);
            Assert.Contains("PW_MAX_QUEUED_PER_USER must be a whole number from 1 to 100000", output);
        }
    }

    [Fact]
    public async Task SIGTERM_with_detached_runs_running_and_queued_ends_each_as_failed_removes_the_folders_and_the_restart_keeps_them()
    {
        await using var bed = await RunsTestBed.StartAsync(BlockingAi, new Dictionary<string, string?>
        {
            ["PW_MAX_CONCURRENT_TOTAL"] = "2",
            ["PW_MAX_CONCURRENT_PER_USER"] = "2",
            ["PW_STOP_GRACE_SEC"] = "1",
        });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        string[] ids;
        using (var ana = bed.Client("ana"))
        {
            ids = new[]
            {
                await StartAsync(ana, new { prompt = "block", project = "app" }),
                await StartAsync(ana, new { prompt = "block", project = "app" }),
                await StartAsync(ana, new { prompt = "block", project = "app" }),
            };
            await ProcessProbe.PollAsync(() => Task.FromResult(File.Exists(bed.Note("ai.pids")) ? File.ReadAllLines(bed.Note("ai.pids")).Length : 0),
                n => n == 2, TimeSpan.FromSeconds(30));
            await WaitAsync(ana, ids[2], r => r.TryGetProperty("position", out var p) && p.ValueKind == JsonValueKind.Number);
        }
        var pids = File.ReadAllLines(bed.Note("ai.pids")).Select(int.Parse).ToList();

        await bed.Agent.StopAsync();

        Assert.Equal(0, bed.Agent.ExitCode);
        foreach (var pid in pids) Assert.False(ProcessProbe.IsAlive(pid), "an AI outlived the agent's stop");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(bed.Agent.ProjectsRoot, "ana", ".patchwire-runs")));
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs")));
        CheckoutAssert.SameTree(before, repo.Path);

        await bed.RestartAsync();
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("interrupted run") || l.Contains("marked failed"));
        using var ana2 = bed.Client("ana");
        foreach (var id in ids)
        {
            var run = await RunAsync(ana2, id);
            Assert.Equal("failed", State(run));
            Assert.Equal("agent_stopping", run.GetProperty("result").GetProperty("code").GetString());
        }
    }

    private static string ProjectPathsReal(string path) => ProcessRunner.Run("realpath", new[] { "-m", path }, "/").Stdout.Trim();
}
