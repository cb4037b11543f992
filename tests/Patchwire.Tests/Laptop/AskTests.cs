using System.Management.Automation;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Patch;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class AskTests
{
    // Edits the synced tree: a line of f.txt, appends to the uncommitted wip.txt, adds a file, and records whether .env arrived.
    private const string EditingAi = """
        [ -e .env ] && touch "$NOTES/env-arrived"
        sed -i 's/^line 2$/line TWO/' f.txt
        echo "seen by the AI" >> wip.txt
        printf 'from %s\n' "$PROMPT" > added.txt
        echo "edited"
        """;

    /// <summary>Runs a script that must fail with one error; returns it.</summary>
    internal static ErrorRecord Fails(PowerShellSession session, string script)
    {
        var (output, errors) = session.Run(script);
        Assert.Empty(output);
        return Assert.Single(errors);
    }

    [Fact]
    public async Task Ask_syncs_the_working_tree_returns_a_typed_result_and_applies_it()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var head = project.Head;
        using var session = bed.Session(token);

        var result = (PatchwireAskResult)session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'make it shine' -Apply")[0].BaseObject;

        Assert.Equal("team-app", result.Project);
        Assert.Equal(PatchApplyMethod.Direct, result.Applied);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches("^[0-9a-f]{40}$", result.Baseline!);
        Assert.Equal("edited\n", result.Stdout);
        var files = result.Files.ToDictionary(f => f.Path);
        Assert.Equal(new[] { "added.txt", "f.txt", "wip.txt" }, files.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(FileChangeStatus.Added, files["added.txt"].Status);
        Assert.Equal((1, 1), (files["f.txt"].LinesAdded, files["f.txt"].LinesRemoved));
        Assert.Equal((1, 0), (files["wip.txt"].LinesAdded, files["wip.txt"].LinesRemoved));
        Assert.Contains("line TWO\n", project.Read("f.txt"));
        Assert.Equal("uncommitted work\nseen by the AI\n", project.Read("wip.txt"));
        Assert.Equal("from make it shine\n", project.Read("added.txt"));
        Assert.False(File.Exists(Path.Combine(bed.Notes, "env-arrived")), "an ignored .env must never reach the agent");
        Assert.Equal(head, project.Head);
        Assert.Equal("", project.Git("diff", "--cached", "--name-only"));

        // The default view summarises the files.
        var view = string.Join("\n", session.Invoke("$r | Out-String -Width 200", new Dictionary<string, object?> { ["r"] = result }).Select(o => o.ToString()));
        Assert.Contains("3 files, +3 -1", view);
        Assert.Contains("A added.txt (+1 -0)", view);
        Assert.Contains("M f.txt (+1 -1)", view);
    }

    [Fact]
    public async Task A_project_in_a_subfolder_with_patchwire_yml_syncs_that_folder_minus_excludes_and_applies_there()
    {
        await using var bed = await LaptopTestBed.StartAsync("""
            [ -e local-notes.txt ] && touch "$NOTES/excluded-arrived"
            [ -e f.txt ] || touch "$NOTES/wrong-root"
            sed -i 's/^line 2$/line TWO/' f.txt
            """);
        var token = bed.Agent.AddUser("ana");
        var mono = bed.CreateProject("mono");
        mono.Write("app/f.txt", mono.Read("f.txt"));
        mono.Write("app/patchwire.yml", "project: mono-app\nsync:\n  exclude:\n    - local-notes.txt\n");
        mono.CommitAll("app");
        mono.Write("app/local-notes.txt", "not for the agent\n");
        Directory.CreateDirectory(Path.Combine(mono.Path, "app", "src"));
        using var session = bed.Session(token);

        var result = (PatchwireAskResult)session.Invoke($"Set-Location '{Path.Combine(mono.Path, "app", "src")}'; Invoke-PatchwireAsk 'x' -Apply")[0].BaseObject;

        Assert.Equal("mono-app", result.Project);
        Assert.Equal(Path.Combine(mono.Path, "app"), result.ProjectRoot);
        Assert.False(File.Exists(Path.Combine(bed.Notes, "wrong-root")), "the agent's checkout should be the app folder");
        Assert.False(File.Exists(Path.Combine(bed.Notes, "excluded-arrived")), "sync.exclude must keep local-notes.txt on the laptop");
        Assert.Equal(new[] { "f.txt" }, result.Files.Select(f => f.Path));
        Assert.Equal(PatchApplyMethod.Direct, result.Applied);
        Assert.Contains("line TWO\n", mono.Read("app/f.txt"));
        Assert.DoesNotContain("line TWO", mono.Read("f.txt"));
        Assert.True(Directory.Exists(Path.Combine(bed.Agent.ProjectsRoot, "ana", "mono-app")));
    }

    [Fact]
    public async Task Progress_shows_syncing_queued_with_position_and_asking()
    {
        // One run at a time overall: ben's slow run holds the slot, so ana's ask queues at position 1.
        await using var bed = await LaptopTestBed.StartAsync("""
            if [ "$PROMPT" = "slow" ]; then touch "$NOTES/slow-started"; wait_for release; fi
            echo changed >> f.txt
            """, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        var ana = bed.Agent.AddUser("ana");
        var ben = bed.Agent.AddUser("ben");
        var benCheckout = GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ben", "other"));
        using var benClient = bed.Agent.Client(ben);
        var slow = benClient.PostAsJsonAsync("/ask", new { prompt = "slow", project = "other" });
        await bed.WaitForNoteAsync("slow-started");

        var project = bed.CreateProject();
        using var session = bed.Session(ana);
        using var module = new ModuleRunspace();
        using var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'quick'");
        var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);
        using (var anon = bed.Agent.Client(ana))
        {
            for (var i = 0; i < 600; i++)
            {
                var queue = JsonDocument.Parse(await anon.GetStringAsync("/queue")).RootElement;
                if (queue.GetProperty("queued").GetArrayLength() == 1) break;
                await Task.Delay(50);
            }
        }
        bed.Release("release");
        var output = await running;
        (await slow).EnsureSuccessStatusCode();

        var statuses = ps.Streams.Progress.Select(p => p.StatusDescription).Distinct().ToList();
        Assert.Contains("Syncing…", statuses);
        Assert.Contains("Queued — position 1…", statuses);
        Assert.Contains("Asking Patchwire…", statuses);
        Assert.True(statuses.IndexOf("Syncing…") < statuses.IndexOf("Queued — position 1…"));
        Assert.True(statuses.IndexOf("Queued — position 1…") < statuses.IndexOf("Asking Patchwire…"));
        var result = (PatchwireAskResult)Assert.Single(output).BaseObject;
        Assert.True(result.QueueWait > TimeSpan.Zero);
        Assert.Equal(new[] { "f.txt" }, result.Files.Select(f => f.Path));
    }

    [Theory]
    [InlineData("context")]
    [InlineData("same line")]
    public async Task A_local_edit_after_the_sync_ends_in_a_3way_apply_or_in_last_patch_never_half_applied(string edit)
    {
        await using var bed = await LaptopTestBed.StartAsync("""
            touch "$NOTES/started"; wait_for go
            sed -i 's/^line 2$/line TWO/' f.txt
            echo new > brand-new.txt
            """);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);
        using var module = new ModuleRunspace();
        using var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'edit line 2' -Apply");
        var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);
        await bed.WaitForNoteAsync("started");
        // The laptop moves on while the AI works.
        var local = edit == "context" ? project.Read("f.txt").Replace("line 4\n", "line 4 (local)\n") : project.Read("f.txt").Replace("line 2\n", "line 2 (local)\n");
        project.Write("f.txt", local);
        bed.Release("go");
        var result = (PatchwireAskResult)Assert.Single(await running).BaseObject;

        if (edit == "context")
        {
            Assert.Empty(ps.Streams.Error);
            Assert.Equal(PatchApplyMethod.ThreeWay, result.Applied);
            Assert.Contains("line TWO\n", project.Read("f.txt"));
            Assert.Contains("line 4 (local)\n", project.Read("f.txt"));
            Assert.True(File.Exists(Path.Combine(project.Path, "brand-new.txt")));
        }
        else
        {
            var error = Assert.Single(ps.Streams.Error);
            Assert.Equal("Patchwire.Apply.Conflict,Patchwire.PowerShell.Ask.InvokePatchwireAskCommand", error.FullyQualifiedErrorId);
            Assert.Contains("conflicts in f.txt", error.Exception.Message);
            Assert.Contains("Nothing was changed", error.Exception.Message);
            Assert.Null(result.Applied);
            Assert.StartsWith(Path.Combine(project.Path, ".patchwire", "patches"), result.SavedPatch);
            Assert.Equal(result.Diff, File.ReadAllText(result.SavedPatch!));
            Assert.Equal(result.Diff, File.ReadAllText(Path.Combine(project.Path, ".patchwire", "last.patch")));
            Assert.Equal(local, project.Read("f.txt"));
            Assert.False(File.Exists(Path.Combine(project.Path, "brand-new.txt")));
        }
        Assert.Equal("", project.Git("diff", "--cached", "--name-only"));
    }

    [Fact]
    public async Task An_error_event_is_a_terminating_error_with_the_agents_code()
    {
        await using var bed = await LaptopTestBed.StartAsync("sleep 30", new Dictionary<string, string?> { ["PW_TIMEOUT_SEC"] = "1" });
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var ex = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'never finishes'");
        Assert.Equal("Patchwire.Ask.run_failed,Patchwire.PowerShell.Ask.InvokePatchwireAskCommand", ex.FullyQualifiedErrorId);
        Assert.Contains("run_failed", ex.Exception.Message);
        Assert.Equal(ErrorCategory.InvalidResult, ex.CategoryInfo.Category);
    }

    [Fact]
    public async Task A_sync_that_fails_is_a_sync_error_for_ask_and_chat()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, new Dictionary<string, string?> { ["PW_MAX_BUNDLE_BYTES"] = "200000" });
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var bytes = new byte[1024 * 1024];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(project.Path, "big.bin"), bytes);
        using var session = bed.Session(token);

        var ask = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x'");
        Assert.Equal("Patchwire.Sync.SyncFailed,Patchwire.PowerShell.Ask.InvokePatchwireAskCommand", ask.FullyQualifiedErrorId);
        Assert.Contains("larger than the agent accepts", ask.Exception.Message);
        var chat = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireChat 'x'");
        Assert.Equal("Patchwire.Sync.SyncFailed,Patchwire.PowerShell.Chat.InvokePatchwireChatCommand", chat.FullyQualifiedErrorId);

        var (output, errors) = session.Run($"Set-Location '{project.Path}'; patchwire ask 'x'; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.StartsWith("patchwire ask: ", Assert.Single(errors).ToString());
        Assert.StartsWith("Patchwire.Sync.SyncFailed,", errors[0].FullyQualifiedErrorId); // the same id as the cmdlet's
        Assert.Contains("larger than the agent accepts", errors[0].Exception.Message);
        (output, errors) = session.Run($"Set-Location '{project.Path}'; patchwire chat 'x'; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.StartsWith("patchwire chat: ", Assert.Single(errors).ToString());
        Assert.Contains("larger than the agent accepts", errors[0].Exception.Message);
    }

    [Fact]
    public async Task A_wrong_token_or_a_stopped_agent_gives_a_message_a_person_can_act_on()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        using (var session = bed.Session("pw_" + new string('0', 64)))
        {
            var ex = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x'");
            Assert.Equal(ErrorCategory.AuthenticationError, ex.CategoryInfo.Category);
            Assert.Contains("rejected the token", ex.Exception.Message);
            Assert.Contains("patchwire setup", ex.Exception.Message);
        }
        var token = bed.Agent.AddUser("ana");
        var url = bed.Agent.BaseUrl;
        await bed.Agent.StopAsync();
        using (var session = bed.Session(token, url))
        {
            var ex = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -NoSync");
            Assert.Equal(ErrorCategory.ConnectionError, ex.CategoryInfo.Category);
            Assert.Contains($"Cannot reach the Patchwire agent at {url}", ex.Exception.Message);
            Assert.Contains("Is it running?", ex.Exception.Message);
        }
        using (var session = bed.Session(null, url))
        {
            var ex = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x'");
            Assert.Contains("No token", ex.Exception.Message);
            Assert.Contains("patchwire setup --token", ex.Exception.Message);
        }
    }

    [Fact]
    public async Task An_agent_killed_mid_run_is_a_connection_error_that_says_to_ask_again()
    {
        await using var bed = await LaptopTestBed.StartAsync("""touch "$NOTES/started"; sleep 30""");
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);
        using var module = new ModuleRunspace();
        using var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -Apply");
        var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);
        await bed.WaitForNoteAsync("started");
        bed.Agent.KillHard();

        Assert.Empty(await running);
        var error = Assert.Single(ps.Streams.Error);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains("before", error.Exception.Message);
        Assert.Contains("then ask again", error.Exception.Message);
        Assert.Equal("?? wip.txt\n", project.Status);
    }

    [Fact]
    public async Task NoSync_runs_on_the_existing_checkout_and_a_missing_one_says_to_sync()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var ex = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -NoSync");
        Assert.Contains("Ask without -NoSync", ex.Exception.Message);

        ProcessRunner.Run("git", new[] { "clone", "-q", project.Path, Path.Combine(bed.Agent.ProjectsRoot, "ana", "team-app") }).EnsureSuccess("clone");
        var result = (PatchwireAskResult)session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -NoSync")[0].BaseObject;
        Assert.Null(result.Baseline);
        // The clone has only committed files: the uncommitted wip.txt is new there.
        Assert.Contains(result.Files, f => f.Path == "wip.txt" && f.Status == FileChangeStatus.Added);
        Assert.Null(result.Applied);
        Assert.DoesNotContain("line TWO", project.Read("f.txt"));
    }

    [Fact]
    public async Task WhatIf_returns_the_result_and_applies_nothing_and_Include_applies_only_chosen_files()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        Assert.Empty(session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -Apply -WhatIf")); // sends nothing at all
        var whatIf = (PatchwireAskResult)session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x'")[0].BaseObject;
        Assert.Null(whatIf.Applied);
        Assert.False(File.Exists(Path.Combine(project.Path, "added.txt")));

        var applied = session.Invoke("$r | Invoke-PatchwirePatch -Include 'add*'", new Dictionary<string, object?> { ["r"] = whatIf });
        var applyResult = (PatchwireApplyResult)Assert.Single(applied).BaseObject;
        Assert.Equal(new[] { "added.txt" }, applyResult.Files.Select(f => f.Path));
        Assert.True(File.Exists(Path.Combine(project.Path, "added.txt")));
        Assert.DoesNotContain("line TWO", project.Read("f.txt"));
    }

    [Fact]
    public async Task Apply_holds_back_a_failed_run_s_diff_and_an_Include_that_matches_nothing()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi + "\n[ \"$PROMPT\" = fail ] && exit 3\nexit 0");
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);

        var failed = session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'fail' -Apply 3>&1");
        var result = (PatchwireAskResult)Assert.Single(failed, o => o.BaseObject is PatchwireAskResult).BaseObject;
        Assert.Equal(3, result.ExitCode);
        Assert.Null(result.Applied);
        Assert.StartsWith(Path.Combine(project.Path, ".patchwire", "patches"), result.SavedPatch);
        Assert.Equal(result.Diff, File.ReadAllText(result.SavedPatch!));
        Assert.Contains(failed, o => o.BaseObject is WarningRecord w && w.Message.Contains("Not applied because the AI exited with code 3", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(project.Path, "added.txt")));

        var none = session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -Apply -Include 'nothing-like-this*' 3>&1");
        var unapplied = (PatchwireAskResult)Assert.Single(none, o => o.BaseObject is PatchwireAskResult).BaseObject;
        Assert.Null(unapplied.Applied);
        Assert.NotNull(unapplied.SavedPatch); // never lost: kept for a later Invoke-PatchwirePatch
        Assert.NotEqual(result.SavedPatch, unapplied.SavedPatch);
        Assert.Contains(none, o => o.BaseObject is WarningRecord w && w.Message.StartsWith("-Include matched none of the changed files", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(project.Path, "added.txt")));
        Assert.Equal(unapplied.Diff, File.ReadAllText(Path.Combine(project.Path, ".patchwire", "last.patch")));
    }

    [Fact]
    public async Task Ctrl_C_cancels_the_request_and_the_agent_frees_the_slot()
    {
        await using var bed = await LaptopTestBed.StartAsync("""touch "$NOTES/started"; sleep 30""");
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using var session = bed.Session(token);
        using var module = new ModuleRunspace();
        using var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'long'");
        var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);
        await bed.WaitForNoteAsync("started");

        var stop = Task.Factory.FromAsync(ps.BeginStop(null, null), ps.EndStop);
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(15))));
        await Assert.ThrowsAnyAsync<PipelineStoppedException>(() => running);

        using var client = bed.Agent.Client(token);
        var freed = false;
        for (var i = 0; i < 200 && !freed; i++)
        {
            var queue = JsonDocument.Parse(await client.GetStringAsync("/queue")).RootElement;
            freed = queue.GetProperty("inFlight").GetArrayLength() == 0;
            if (!freed) await Task.Delay(50);
        }
        Assert.True(freed, "the agent still runs the cancelled ask");
    }

    [Fact]
    public void Applying_later_without_a_saved_patch_or_with_a_file_that_is_not_a_diff_says_so()
    {
        using var temp = new TempDirectory();
        var project = GitRepo.Init(temp.Combine("app"));
        using var session = new PowerShellSession(temp.Combine("home"));

        var none = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwirePatch");
        Assert.Equal(ErrorCategory.ObjectNotFound, none.CategoryInfo.Category);
        Assert.Contains(Path.Combine(project.Path, ".patchwire", "last.patch"), none.Exception.Message);
        Assert.Contains("--save-only", none.Exception.Message);

        project.Write("notes.patch", "just some text\n");
        var notADiff = Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwirePatch -Path notes.patch");
        Assert.Equal(ErrorCategory.InvalidData, notADiff.CategoryInfo.Category);
        Assert.Contains("is not a git diff", notADiff.Exception.Message);
        Assert.Equal("", project.Status.Replace("?? notes.patch\n", ""));
    }
}
