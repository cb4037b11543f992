using System.Management.Automation;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Chat;
using Patchwire.PowerShell.Patch;
using Patchwire.Tests.Laptop;

namespace Patchwire.Tests.Module;

/// <summary>Issue 14's laptop items and issue 10's bridge and error map, through the cmdlets and verbs in-process.</summary>
[Collection(PowerShellCollection.Name)]
public sealed class ModuleFlowTests
{
    private const string EditingAi = """
        sed -i 's/^line 2$/line TWO/' f.txt
        printf 'from %s\n' "$PROMPT" > added.txt
        echo "I changed line 2 and added a file."
        """;

    [Fact]
    public async Task Apply_with_confirm_and_nobody_to_answer_saves_the_patch_and_still_returns_the_result()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        var before = project.Read("f.txt");
        using var session = bed.Session(bed.Agent.AddUser("ana"));

        var (output, errors) = session.Run($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'add it' -Apply -Confirm");

        var result = (PatchwireAskResult)Assert.Single(output).BaseObject;
        Assert.Null(result.Applied);
        Assert.NotNull(result.SavedPatch);
        Assert.StartsWith(Path.Combine(project.Path, ".patchwire", "patches") + Path.DirectorySeparatorChar, result.SavedPatch);
        Assert.Equal(result.Diff, File.ReadAllText(result.SavedPatch!));
        Assert.Equal(result.Diff, File.ReadAllText(Path.Combine(project.Path, ".patchwire", "last.patch")));
        var error = Assert.Single(errors);
        Assert.StartsWith("Patchwire.Apply.ConfirmUnavailable,", error.FullyQualifiedErrorId);
        Assert.Contains(result.SavedPatch!, error.Exception.Message);
        Assert.Equal(before, project.Read("f.txt"));
        Assert.False(File.Exists(Path.Combine(project.Path, "added.txt")));
        Assert.Equal("I changed line 2 and added a file.", result.Reply);

        // The default view shows the reply; an added file has no old path.
        var view = string.Join("\n", session.Invoke("$r | Out-String -Width 200", new Dictionary<string, object?> { ["r"] = result }).Select(o => o.ToString()));
        Assert.Contains("Reply", view);
        Assert.Contains("I changed line 2 and added a file.", view);
        Assert.Null(result.Files.Single(f => f.Path == "added.txt").OldPath);
        Assert.Equal(FileChangeStatus.Added, result.Files.Single(f => f.Path == "added.txt").Status);

        // The kept result applies from the pipeline, and the result records how.
        var applied = (PatchwireApplyResult)session.Invoke("$r | Invoke-PatchwirePatch", new Dictionary<string, object?> { ["r"] = result })[0].BaseObject;
        Assert.Equal(PatchApplyMethod.Direct, applied.Method);
        Assert.Equal(PatchApplyMethod.Direct, result.Applied);
        Assert.Contains("line TWO\n", project.Read("f.txt"));

        // Twice: nothing changes and it says so.
        var again = (PatchwireApplyResult)session.Invoke("$r | Invoke-PatchwirePatch 3>$null", new Dictionary<string, object?> { ["r"] = result })[0].BaseObject;
        Assert.Equal(PatchApplyMethod.AlreadyApplied, again.Method);
    }

    [Fact]
    public async Task Two_asks_from_one_folder_keep_two_patches_last_patch_is_the_newest_and_apply_twice_says_already_applied()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        using var session = bed.Session(bed.Agent.AddUser("ana"));

        var first = session.Invoke($"Set-Location '{project.Path}'; patchwire ask first --save-only").Select(o => o.ToString()).ToList();
        var second = session.Invoke($"Set-Location '{project.Path}'; patchwire ask second --save-only").Select(o => o.ToString()).ToList();

        Assert.Contains("I changed line 2 and added a file.", first); // the AI's words are printed
        var patches = PatchStore.List(project.Path);
        Assert.Equal(2, patches.Count);
        Assert.Contains("+from second", File.ReadAllText(patches[0]));
        Assert.Contains("+from first", File.ReadAllText(patches[1]));
        Assert.Equal(File.ReadAllText(patches[0]), File.ReadAllText(PatchStore.LastPatchPath(project.Path)));
        Assert.Contains(second, l => l.Contains(patches[0], StringComparison.Ordinal));

        var applied = session.Invoke($"Set-Location '{project.Path}'; patchwire apply").Select(o => o.ToString()).ToList();
        Assert.Contains(applied, l => l.StartsWith("Applied 2 files (+2 -1):", StringComparison.Ordinal));
        var again = session.Invoke($"Set-Location '{project.Path}'; patchwire apply").Select(o => o.ToString()).ToList();
        Assert.Contains(again, l => l.StartsWith("Already applied", StringComparison.Ordinal));
        Assert.DoesNotContain(again, l => l.Contains("3-way", StringComparison.Ordinal));
        Assert.Equal("from second\n", project.Read("added.txt"));
    }

    [Fact]
    public void Patches_are_pruned_to_the_newest_20()
    {
        using var temp = new TempDirectory("pw-prune");
        for (var i = 0; i < 25; i++)
        {
            PatchStore.Save(temp.Path, $"patch {i}\n", $"run{i:00}");
            Thread.Sleep(1100 * (i == 24 ? 1 : 0)); // the last one a second later: newest by name
        }
        var kept = PatchStore.List(temp.Path);
        Assert.Equal(20, kept.Count);
        Assert.Equal("patch 24\n", File.ReadAllText(kept[0]));
        Assert.Equal("patch 24\n", File.ReadAllText(PatchStore.LastPatchPath(temp.Path)));
    }

    [Fact]
    public async Task A_prompt_over_the_agents_limit_says_the_limit_and_its_setting_before_anything_is_synced()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi, new Dictionary<string, string?> { ["PW_MAX_PROMPT_BYTES"] = "10" });
        var project = bed.CreateProject();
        using var session = bed.Session(bed.Agent.AddUser("ana"));

        var error = AskTests.Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'a prompt of more than ten bytes'");

        Assert.StartsWith("Patchwire.Agent.PromptTooLarge,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.LimitsExceeded, error.CategoryInfo.Category);
        Assert.Contains("10 bytes", error.Exception.Message);
        Assert.Contains("PW_MAX_PROMPT_BYTES", error.Exception.Message);
        Assert.False(Directory.Exists(Path.Combine(bed.Agent.ProjectsRoot, "ana", "team-app")), "nothing should have been synced");

        // Without a sync the agent's own 413 says the same.
        var noSync = AskTests.Fails(session, $"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'a prompt of more than ten bytes' -NoSync");
        Assert.StartsWith("Patchwire.Agent.PromptTooLarge,", noSync.FullyQualifiedErrorId);
        Assert.Contains("10 bytes", noSync.Exception.Message);
    }

    [Fact]
    public async Task WhatIf_on_ask_sends_nothing()
    {
        await using var bed = await LaptopTestBed.StartAsync("touch \"$NOTES/ran\"\n" + EditingAi);
        var project = bed.CreateProject();
        using var session = bed.Session(bed.Agent.AddUser("ana"));

        var (output, errors) = session.Run($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -Apply -WhatIf");

        Assert.Empty(output);
        Assert.Empty(errors);
        Assert.False(File.Exists(Path.Combine(bed.Notes, "ran")));
        Assert.False(Directory.Exists(Path.Combine(bed.Agent.ProjectsRoot, "ana", "team-app")), "-WhatIf must not sync");
        Assert.False(File.Exists(Path.Combine(bed.AgentHome, "agent.log")), "-WhatIf must not run anything the audit log records");
    }

    [Fact]
    public async Task Verbose_shows_each_step_and_host_lines_go_to_the_information_stream()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        using var session = bed.Session(bed.Agent.AddUser("ana"));
        using var module = new ModuleRunspace();

        using (var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'x' -Apply -Verbose"))
        {
            ps.Invoke();
            var verbose = ps.Streams.Verbose.Select(v => v.Message).ToList();
            Assert.Contains("Syncing…", verbose);
            Assert.Contains("Asking Patchwire…", verbose);
            Assert.Contains(verbose, v => v.StartsWith("The AI exited with code 0", StringComparison.Ordinal));
            Assert.Contains(verbose, v => v.StartsWith("Applying ", StringComparison.Ordinal));
        }
        using (var ps = module.Create($"Set-Location '{project.Path}'; Sync-PatchwireProject -Verbose"))
        {
            ps.Invoke();
            Assert.Contains(ps.Streams.Verbose, v => v.Message.StartsWith("Snapshotting", StringComparison.Ordinal));
        }
        using (var ps = module.Create($"Set-Location '{project.Path}'; Get-PatchwireQueue -Verbose"))
        {
            ps.Invoke();
            Assert.Contains(ps.Streams.Verbose, v => v.Message.StartsWith("GET ", StringComparison.Ordinal));
        }
        using (var ps = module.Create($"Set-Location '{project.Path}'; patchwire ask 'y' --save-only"))
        {
            var output = ps.Invoke();
            // "Syncing…" is for the person: on the host's information stream (so *> $null silences it), not in the output.
            Assert.Contains(ps.Streams.Information, i => i.MessageData is HostInformationMessage { Message: "Syncing…" });
            Assert.DoesNotContain(output, o => o.ToString() == "Syncing…");
        }
    }

    [Fact]
    public async Task A_rejected_token_is_one_error_id_whatever_the_cmdlet()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        using var session = bed.Session("pw_" + new string('e', 64));
        foreach (var command in new[] { "Invoke-PatchwireAsk 'x'", "Sync-PatchwireProject", "Get-PatchwireQueue", "Invoke-PatchwireChat 'x'" })
        {
            var error = AskTests.Fails(session, $"Set-Location '{project.Path}'; {command}");
            Assert.StartsWith("Patchwire.Agent.TokenRejected,", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("patchwire setup --token", error.ErrorDetails?.RecommendedAction ?? "");
        }
    }

    [Fact]
    public async Task Progress_is_rewritten_while_queued_so_the_position_shows()
    {
        await using var bed = await LaptopTestBed.StartAsync("""
            if [ "$PROMPT" = "slow" ]; then touch "$NOTES/slow-started"; wait_for release; fi
            echo changed >> f.txt
            """, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        var ana = bed.Agent.AddUser("ana");
        var ben = bed.Agent.AddUser("ben");
        GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ben", "other"));
        using var benClient = bed.Agent.Client(ben);
        var slow = benClient.PostAsJsonAsync("/ask", new { prompt = "slow", project = "other" });
        await bed.WaitForNoteAsync("slow-started");
        var project = bed.CreateProject();
        using var session = bed.Session(ana);
        using var module = new ModuleRunspace();
        using var ps = module.Create($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'quick'");
        var running = Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke);

        // The console host drops progress records that come within 200 ms of the last one it drew, so the queued
        // status must be written again while the ask waits, not only once.
        int QueuedRecords() => ps.Streams.Progress.ToArray().Count(p => p.StatusDescription == "Queued — position 1…");
        for (var i = 0; i < 1200 && QueuedRecords() < 3; i++) await Task.Delay(50);
        var queuedRecords = QueuedRecords();
        bed.Release("release");
        await running;
        (await slow).EnsureSuccessStatusCode();
        Assert.True(queuedRecords >= 3, $"the queued status was written {queuedRecords} time(s) while waiting");
    }

    [Fact]
    public async Task A_chat_turn_pipes_to_Invoke_PatchwirePatch_like_an_ask_result()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var project = bed.CreateProject();
        using var session = bed.Session(bed.Agent.AddUser("ana"));

        var turn = (PatchwireChatTurn)session.Invoke($"Set-Location '{project.Path}'; Invoke-PatchwireChat 'add it' 6>$null")[0].BaseObject;
        Assert.Null(turn.Applied);
        Assert.Null(turn.Files.Single(f => f.Path == "added.txt").OldPath);

        var applied = (PatchwireApplyResult)session.Invoke("$t | Invoke-PatchwirePatch", new Dictionary<string, object?> { ["t"] = turn })[0].BaseObject;
        Assert.Equal(PatchApplyMethod.Direct, applied.Method);
        Assert.Equal(PatchApplyMethod.Direct, turn.Applied);
        Assert.Equal("from add it\n", project.Read("added.txt"));
    }
}
