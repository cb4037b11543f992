using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Sandbox;

/// <summary>A test that needs the real Claude Code CLI on PATH ('./build.ps1 Test' installs it with npm when npm can reach its registry).</summary>
public sealed class ClaudeFactAttribute : FactAttribute
{
    public ClaudeFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "The AI sandbox (bubblewrap) exists on Linux only.";
        else if (!File.Exists("/usr/bin/bwrap")) Skip = "bubblewrap is not installed (/usr/bin/bwrap).";
        else if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "claude"))))
            Skip = "Claude Code is not installed ('claude' is not on PATH); './build.ps1 Test' installs it with 'npm install -g @anthropic-ai/claude-code' when npm is reachable.";
    }
}

public sealed class RealClaudeTests
{
    [ClaudeFact]
    public async Task Claude_Code_runs_in_the_sandbox_with_the_users_private_home_and_its_not_logged_in_answer_reaches_the_user()
    {
        var adminClaude = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude");
        await using var bed = await SandboxTestBed.StartAsync("exit 0", new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "claude",
            ["PW_AI_ARGS"] = "--print --output-format stream-json --verbose",
            ["PW_AI_CREDENTIALS"] = "none",
            ["PW_TIMEOUT_SEC"] = "120",
        });
        var repo = bed.CreateCheckout("ana", "app", "ana's file");
        var slug = repo.Path.Replace('/', '-');
        var before = CheckoutAssert.Fingerprint(repo.Path);

        var result = await bed.AskAsync("ana", "app", "Say hello.");

        Assert.Equal("result", result.GetProperty("type").GetString());
        var stdout = result.GetProperty("stdout").GetString()!;
        Assert.True(1 == result.GetProperty("exitCode").GetInt32(), "exit code " + result.GetProperty("exitCode") + "; stdout: " + stdout + "; stderr: " + result.GetProperty("stderr").GetString());
        Assert.Contains("Not logged in", stdout);
        Assert.Contains("/login", stdout);
        // Claude Code kept its state in ana's private home, not in the agent's own ~/.claude.
        var anaClaude = Path.Combine(bed.Home, "ai-home", "ana", ".claude");
        Assert.True(Directory.Exists(anaClaude), "Claude Code wrote nothing under " + anaClaude);
        if (Directory.Exists(adminClaude))
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(adminClaude, "*", SearchOption.AllDirectories), p => p.Contains(slug, StringComparison.Ordinal));
        var adminState = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude.json");
        if (File.Exists(adminState)) Assert.DoesNotContain(repo.Path, File.ReadAllText(adminState));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal("", repo.Status);
    }
}
