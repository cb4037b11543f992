using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Patchwire.Tests.Laptop;

/// <summary>'patchwire ask / apply / doctor' as a script meets them: a real 'pwsh -NonInteractive' process with the module.</summary>
public sealed class LaptopCliTests
{
    private static async Task<ProcessResult> PwshAsync(LaptopTestBed bed, string folder, string commands, string? token)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var script = $"Import-Module '{TestPaths.ModuleDll}'; Set-Location '{folder}'; {commands}; exit $LASTEXITCODE";
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", script }) psi.ArgumentList.Add(a);
        ProcessRunner.ApplyEnvironment(psi, new Dictionary<string, string?> { ["PW_HOME"] = bed.LaptopHome, ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = token });
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private const string EditingAi = """
        sed -i 's/^line 2$/line TWO/' f.txt
        printf 'from %s\n' "$PROMPT" > added.txt
        """;

    [Fact]
    public async Task Ask_with_yes_shows_the_queue_position_and_applies()
    {
        await using var bed = await LaptopTestBed.StartAsync("""
            if [ "$PROMPT" = "slow" ]; then touch "$NOTES/slow-started"; wait_for release; fi
            """ + "\n" + EditingAi, new Dictionary<string, string?> { ["PW_MAX_CONCURRENT_TOTAL"] = "1" });
        var ana = bed.Agent.AddUser("ana");
        var ben = bed.Agent.AddUser("ben");
        GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ben", "other"));
        using var benClient = bed.Agent.Client(ben);
        var slow = benClient.PostAsJsonAsync("/ask", new { prompt = "slow", project = "other" });
        await bed.WaitForNoteAsync("slow-started");
        var project = bed.CreateProject();

        var ask = PwshAsync(bed, project.Path, "patchwire ask 'add the greeting' --yes", ana);
        for (var i = 0; i < 600; i++)
        {
            var queue = JsonDocument.Parse(await benClient.GetStringAsync("/queue")).RootElement;
            if (queue.GetProperty("queued").GetArrayLength() == 1) break;
            await Task.Delay(50);
        }
        bed.Release("release");
        var result = await ask;
        (await slow).EnsureSuccessStatusCode();

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var syncing = result.Stdout.IndexOf("Syncing…", StringComparison.Ordinal);
        var queued = result.Stdout.IndexOf("Queued — position 1…", StringComparison.Ordinal);
        var asking = result.Stdout.IndexOf("Asking Patchwire…", StringComparison.Ordinal);
        Assert.True(syncing >= 0 && queued > syncing && asking > queued, result.Stdout);
        Assert.Contains("2 files changed (+2 -1)", result.Stdout);
        Assert.Contains("+line TWO", result.Stdout); // the diff preview
        Assert.Contains("Applied 2 files (+2 -1):", result.Stdout);
        Assert.Equal("from add the greeting\n", project.Read("added.txt"));
        Assert.Contains("line TWO\n", project.Read("f.txt"));
    }

    [Fact]
    public async Task Save_only_and_a_script_without_yes_save_the_patch_and_apply_applies_it_later()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var ana = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var before = project.Read("f.txt");
        var lastPatch = Path.Combine(project.Path, ".patchwire", "last.patch");

        var saved = await PwshAsync(bed, project.Path, "patchwire ask 'first' --save-only", ana);
        Assert.True(saved.ExitCode == 0, saved.Stdout + saved.Stderr);
        Assert.Contains($"Saved the diff to {Path.Combine(project.Path, ".patchwire", "patches")}", saved.Stdout);
        Assert.Contains("patchwire apply", saved.Stdout);
        Assert.Equal(before, project.Read("f.txt"));
        Assert.Contains("+from first", File.ReadAllText(lastPatch));

        // -NonInteractive and no --yes: nothing hangs waiting for an answer; the diff is saved, never applied.
        var noAnswer = await PwshAsync(bed, project.Path, "patchwire ask 'second'", ana);
        Assert.True(noAnswer.ExitCode == 0, noAnswer.Stdout + noAnswer.Stderr);
        Assert.Contains("No terminal to ask in (use --yes to apply in scripts); saved the diff", noAnswer.Stdout);
        Assert.Equal(before, project.Read("f.txt"));
        Assert.False(File.Exists(Path.Combine(project.Path, "added.txt")));

        var applied = await PwshAsync(bed, project.Path, "patchwire apply", ana);
        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        Assert.Contains("Applied 2 files", applied.Stdout);
        Assert.Equal("from second\n", project.Read("added.txt"));

        // A patch that conflicts with one file changes none: f.txt alone would apply, added.txt clashes with local work.
        project.Git("checkout", "--", "f.txt");
        project.Write("added.txt", "my own added.txt\n");
        var conflicting = await PwshAsync(bed, project.Path, "patchwire apply", ana);
        Assert.Equal(1, conflicting.ExitCode);
        Assert.Contains("Nothing was changed", conflicting.Stderr);
        Assert.Contains("The patch is still in", conflicting.Stderr);
        Assert.Equal(before, project.Read("f.txt"));
        Assert.Equal("my own added.txt\n", project.Read("added.txt"));

    }

    [Fact]
    public async Task Doctor_prints_pass_and_fail_lines_and_exits_non_zero_on_a_failure()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var ana = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        var healthy = await PwshAsync(bed, project.Path, "patchwire doctor", ana);
        Assert.True(healthy.ExitCode == 0, healthy.Stdout + healthy.Stderr);
        var lines = healthy.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var check in new[] { "git", "configuration", "agent", "token", "project" })
            Assert.Contains(lines, l => l.StartsWith("PASS  " + check, StringComparison.Ordinal));
        Assert.Contains("accepted for user 'ana'", healthy.Stdout);

        var wrongToken = await PwshAsync(bed, project.Path, "patchwire doctor", "pw_" + new string('e', 64));
        Assert.Equal(1, wrongToken.ExitCode);
        Assert.Contains("FAIL  token", wrongToken.Stdout);
        Assert.Contains("PASS  agent", wrongToken.Stdout);
        Assert.Contains("patchwire doctor: 1 check failed.", wrongToken.Stderr);

        await bed.Agent.StopAsync();
        var down = await PwshAsync(bed, project.Path, "patchwire doctor", ana);
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("FAIL  agent", down.Stdout);
        Assert.Contains("Cannot reach the Patchwire agent", down.Stdout);
        Assert.Contains("FAIL  token         not checked: the agent is not reachable", down.Stdout);
    }
}
