using System.Security.Cryptography;
using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>
/// A hostile stand-in AI plants, in its own checkout's .git, every trick that would make the agent's git run a command
/// or work on another user's repository; each planted command would create a "ran-*" marker in the notes folder
/// (outside every checkout). With the sandbox off, the agent's git hardening alone must stop all of them: no marker,
/// ben's checkout untouched, ana's checkout exactly as before, and the next run still works.
/// </summary>
public sealed class GitHardeningTests : IAsyncLifetime
{
    private const string Ai = """
        prompt=$(cat)
        scenario=${prompt%% *}
        EVIL="$NOTES/evil"
        printf '#!/bin/sh\ntouch "%s/ran-$1"\nexec cat\n' "$NOTES" > "$EVIL"
        chmod +x "$EVIL"
        printf '#!/bin/sh\nsleep 300\ntouch "%s/ran-$1"\n' "$NOTES" > "$NOTES/hang"
        chmod +x "$NOTES/hang"
        case "$PWD" in */.patchwire-runs/*) up=../../.. ;; *) up=../.. ;; esac
        BEN="$(cd $up/ben/app && pwd)"
        [ -d "$BEN/.git" ] || { echo "ben's checkout not found from $PWD" >&2; exit 1; }
        plant_hooks() {
          mkdir -p "$1"
          for h in applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg commit-msg \
                   post-commit pre-rebase post-checkout post-merge pre-push pre-receive update proc-receive post-receive \
                   post-update reference-transaction push-to-checkout pre-auto-gc post-rewrite sendemail-validate \
                   fsmonitor-watchman p4-changelist p4-prepare-changelist p4-post-changelist p4-pre-submit post-index-change; do
            printf '#!/bin/sh\ntouch "%s/ran-hook-%s"\ncat >/dev/null 2>&1\nexit 0\n' "$NOTES" "$h" > "$1/$h"
            chmod +x "$1/$h"
          done
        }
        echo "changed by $scenario" >> src/app.txt
        case "$scenario" in
          fsmonitor)
            git config core.fsmonitor "$EVIL fsmonitor"
            git config core.fsmonitorHookVersion 2 ;;
          fsmonitor-hang)
            git config core.fsmonitor "$NOTES/hang fsmonitor-hang" ;;
          hooks)
            plant_hooks .git/hooks ;;
          hooks-path)
            plant_hooks "$NOTES/hooks"
            git config core.hooksPath "$NOTES/hooks" ;;
          filters)
            printf '* filter=evil\n' > .gitattributes
            git config filter.evil.clean "$EVIL filter-clean"
            git config filter.evil.smudge "$EVIL filter-smudge"
            git config filter.evil.process "$EVIL filter-process"
            git config filter.evil.required true ;;
          info-attributes)
            printf '* filter=evil diff=evil\n' > .git/info/attributes
            git config filter.evil.clean "$EVIL info-filter-clean"
            git config filter.evil.smudge "$EVIL info-filter-smudge"
            git config diff.evil.textconv "$EVIL info-textconv" ;;
          diff)
            printf '*.txt diff=evil\n' > .gitattributes
            git config diff.evil.command "$EVIL diff-command"
            git config diff.evil.textconv "$EVIL diff-textconv"
            git config diff.external "$EVIL diff-external" ;;
          programs)
            git config core.pager "$EVIL pager"
            git config pager.diff "$EVIL pager-diff"
            git config core.editor "$EVIL editor"
            git config sequence.editor "$EVIL sequence-editor"
            git config core.sshCommand "$EVIL ssh"
            git config core.askPass "$EVIL askpass"
            git config credential.helper "!$EVIL credential"
            git config gpg.program "$EVIL gpg"
            git config gc.auto 1
            git config gc.autoDetach false ;;
          include)
            printf '[core]\n\tfsmonitor = %s include-fsmonitor\n[filter "evil"]\n\tclean = %s include-clean\n\tsmudge = %s include-smudge\n' "$EVIL" "$EVIL" "$EVIL" > "$NOTES/evil.config"
            printf '* filter=evil\n' > .gitattributes
            git config include.path "$NOTES/evil.config" ;;
          include-if)
            printf '[core]\n\tfsmonitor = %s includeif-fsmonitor\n[filter "evil"]\n\tclean = %s includeif-clean\n\tsmudge = %s includeif-smudge\n' "$EVIL" "$EVIL" "$EVIL" > "$NOTES/evil.config"
            printf '* filter=evil\n' > .gitattributes
            git config "includeIf.gitdir:/.path" "$NOTES/evil.config" ;;
          alternates)
            echo "$BEN/.git/objects" > .git/objects/info/alternates ;;
          worktree)
            git config core.worktree "$BEN" ;;
          commondir)
            git config extensions.worktreeConfig true
            printf '[core]\n\tworktree = %s\n\tfsmonitor = %s worktree-config-fsmonitor\n' "$BEN" "$EVIL" > .git/config.worktree
            echo "$BEN/.git" > .git/commondir ;;
          exclude)
            mkdir -p .git/info
            echo "hidden.txt" >> .git/info/exclude
            echo "kept out of the capture" > hidden.txt ;;
          dotgit-link)
            mv .git .git-away
            ln -s "$BEN/.git" .git ;;
          dotgit-file)
            mv .git "$NOTES/ana-git-away"
            printf 'gitdir: %s/.git\n' "$BEN" > .git ;;
          links-inside)
            rm -f .git/logs/HEAD .git/logs/refs/heads/main
            ln -s "$BEN/.git/logs/HEAD" .git/logs/HEAD
            ln -s "$BEN/.git/logs/refs/heads/main" .git/logs/refs/heads/main
            mv .git/refs/heads .git/refs/heads-away
            ln -s "$BEN/.git/refs/heads" .git/refs/heads
            mv .git/objects/info .git/objects/info-away
            ln -s "$BEN/.git/objects/info" .git/objects/info ;;
          dotgit-folder)
            mv .git .git-away
            cp -r "$BEN/.git" .git
            git config core.fsmonitor "$EVIL copied-repo-fsmonitor" ;;
        esac
        exit 0
        """;

    private RunsTestBed _bed = null!;
    private GitRepo _ben = null!;

    public async Task InitializeAsync()
    {
        _bed = await RunsTestBed.StartAsync(Ai, new Dictionary<string, string?> { ["PW_SANDBOX"] = "off" });
        _ben = _bed.CreateCheckout("ben", "app");
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    public static TheoryData<string> Scenarios() => new()
    {
        "fsmonitor", "fsmonitor-hang", "hooks", "hooks-path", "filters", "info-attributes", "diff", "programs", "include", "include-if",
        "alternates", "worktree", "commondir", "exclude", "links-inside", "dotgit-link", "dotgit-file", "dotgit-folder",
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task A_planted_git_trick_runs_nothing_touches_nothing_outside_and_the_next_run_works(string scenario)
    {
        var project = "p-" + scenario;
        var repo = _bed.CreateCheckout("ana", project);
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        var benBefore = FullFingerprint(_ben.Path);
        using var ana = _bed.Client("ana");

        await using var planted = await AskStream.RunAsync(ana, new { prompt = scenario, project });

        Assert.True("result" == planted.Final.GetProperty("type").GetString(), "the run failed: " + planted.Final);
        Assert.Contains("changed by " + scenario, planted.Final.GetProperty("diff").GetString());
        NoMarker(scenario);
        Assert.True(benBefore.SequenceEqual(FullFingerprint(_ben.Path)), "ben's checkout changed");
        CheckoutAssert.SameTree(before, repo.Path);
        AgentOwnsDotGit(repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("refs/heads/main", repo.Git("symbolic-ref", "HEAD").Trim());
        Assert.Equal("", repo.Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(_bed.Home, "agent-state", "runs")));
        if (scenario == "exclude")
        {
            Assert.Contains("hidden.txt", planted.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
            Assert.False(File.Exists(Path.Combine(repo.Path, "hidden.txt")));
        }

        await using var next = await AskStream.RunAsync(ana, new { prompt = "benign", project });
        Assert.True("result" == next.Final.GetProperty("type").GetString(), "the next run failed: " + next.Final);
        Assert.Equal(new[] { "src/app.txt" }, next.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        CheckoutAssert.SameTree(before, repo.Path);
        NoMarker(scenario);
        Assert.True(benBefore.SequenceEqual(FullFingerprint(_ben.Path)), "ben's checkout changed");
    }

    [Fact]
    public async Task The_agent_writes_the_checkouts_git_config_itself_keeping_only_what_a_repository_needs()
    {
        var repo = _bed.CreateCheckout("ana", "config-kept");
        repo.Git("remote", "add", "origin", "https://example.invalid/team/app.git");
        repo.Git("config", "branch.main.remote", "origin");
        repo.Git("config", "branch.main.merge", "refs/heads/main");
        repo.Git("config", "filter.admin.clean", "cat");
        using var ana = _bed.Client("ana");

        await using var run = await AskStream.RunAsync(ana, new { prompt = "benign", project = "config-kept" });

        Assert.Equal("result", run.Final.GetProperty("type").GetString());
        var config = repo.Git("config", "--file", ".git/config", "--list");
        Assert.Contains("remote.origin.url=https://example.invalid/team/app.git", config);
        Assert.Contains("branch.main.merge=refs/heads/main", config);
        Assert.Contains("user.email=test@patchwire.invalid", config);
        Assert.DoesNotContain("filter.", config);
        Assert.Equal("", repo.Status);
    }

    private void NoMarker(string scenario)
    {
        var ran = Directory.GetFiles(_bed.Notes, "ran-*").Select(Path.GetFileName).ToList();
        Assert.True(ran.Count == 0, $"{scenario}: the agent ran planted commands: {string.Join(", ", ran)}");
    }

    /// <summary>The checkout's .git holds nothing the AI planted: the agent's own config, no hooks, no redirections.</summary>
    private void AgentOwnsDotGit(string checkout)
    {
        var dotGit = Path.Combine(checkout, ".git");
        Assert.True(Directory.Exists(dotGit) && new DirectoryInfo(dotGit).LinkTarget is null, ".git is not the checkout's own folder");
        Assert.False(Path.Exists(Path.Combine(checkout, ".git-away")), "the AI's moved .git was left in the checkout");
        Assert.False(Path.Exists(Path.Combine(_bed.Notes, "ana-git-away")), "the checkout's .git was not moved back");
        var config = File.ReadAllText(Path.Combine(dotGit, "config"));
        foreach (var planted in new[] { _bed.Notes, "fsmonitor", "hooksPath", "worktree", "include", "filter", "diff", "pager", "editor", "sshCommand" })
            Assert.DoesNotContain(planted, config, StringComparison.OrdinalIgnoreCase);
        foreach (var extra in new[] { "commondir", "config.worktree", "objects/info/alternates", "info/attributes" })
            Assert.False(Path.Exists(Path.Combine(dotGit, extra)), $".git/{extra} was left behind");
        var hooks = Path.Combine(dotGit, "hooks");
        if (Directory.Exists(hooks))
            Assert.Empty(Directory.GetFiles(hooks).Where(h => !h.EndsWith(".sample", StringComparison.Ordinal)));
        var exclude = Path.Combine(dotGit, "info", "exclude");
        if (File.Exists(exclude)) Assert.DoesNotContain("hidden.txt", File.ReadAllText(exclude));
    }

    /// <summary>Every file under <paramref name="path"/>, .git included (links by their text), with its content hash.</summary>
    internal static List<string> FullFingerprint(string path) =>
        Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Order(StringComparer.Ordinal)
            .Select(entry =>
            {
                var info = new FileInfo(entry);
                var relative = Path.GetRelativePath(path, entry);
                if (info.LinkTarget is { } target) return relative + " -> " + target;
                if (Directory.Exists(entry)) return relative + "/";
                return relative + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry)));
            })
            .ToList();
}

/// <summary>
/// git that hangs after the AI (a FIFO where a ref should be) is killed at the deadline, the slot is freed and recovery
/// retries; the agent's own environment and global config never reach its git.
/// </summary>
public sealed class GitDeadlineTests
{
    [Fact]
    public async Task A_git_call_that_hangs_after_the_run_is_killed_at_the_deadline_the_slot_is_freed_and_the_journal_keeps_the_run()
    {
        await using var bed = await RunsTestBed.StartAsync("""
            prompt=$(cat)
            echo "changed by $prompt" >> src/app.txt
            if [ "$prompt" = "fifo" ]; then
              rm -f .git/refs/heads/main
              mkfifo .git/refs/heads/main
            fi
            exit 0
            """, new Dictionary<string, string?>
        {
            // The restore of a checkout (chat turns, PW_RUN_WORKTREES=off): a run folder is removed, never restored.
            ["PW_SANDBOX"] = "off", ["PW_GIT_TIMEOUT_SEC"] = "2", ["PW_MAX_CONCURRENT_PER_USER"] = "1", ["PW_RUN_WORKTREES"] = "off",
        });
        var repo = bed.CreateCheckout("ana", "app");
        var other = bed.CreateCheckout("ana", "other");
        var head = repo.Head;
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");

        await using var hung = await AskStream.RunAsync(ana, new { prompt = "fifo", project = "app" });

        Assert.Equal("error", hung.Final.GetProperty("type").GetString());
        // The log line is written asynchronously and may follow the error event (it did once under load).
        await bed.Agent.WaitForOutputAsync(l => l.Contains("PW_GIT_TIMEOUT_SEC"));
        var runs = Path.Combine(bed.Home, "agent-state", "runs");
        Assert.Single(Directory.GetFiles(runs, "*.json"));

        // Per-user cap 1: this runs only because the hung run's slot was given back.
        await using var next = await AskStream.RunAsync(ana, new { prompt = "next", project = "other" });
        Assert.Equal("result", next.Final.GetProperty("type").GetString());
        Assert.Equal("", other.Status);

        // The next start retries, meets the same hang, and keeps the entry for the start after.
        await bed.RestartAsync();
        Assert.Contains(bed.Agent.Output, l => l.Contains("will retry on the next start") && l.Contains(repo.Path));
        Assert.Single(Directory.GetFiles(runs, "*.json"));

        // Once the admin removes the FIFO, the start after restores the checkout.
        File.Delete(Path.Combine(repo.Path, ".git", "refs", "heads", "main"));
        await bed.RestartAsync();
        Assert.Contains(bed.Agent.Output, l => l.Contains("restored") && l.Contains(repo.Path));
        Assert.Empty(Directory.GetFiles(runs));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Equal(head, repo.Head);
        Assert.Equal("", repo.Status);
    }

    [Fact]
    public async Task The_agents_own_git_environment_global_and_system_config_never_reach_its_git()
    {
        using var evil = new TempDirectory("pw-gitenv");
        var marker = evil.Combine("ran-global");
        var config = $"[core]\n\tfsmonitor = touch {marker}-fsmonitor\n[filter \"evil\"]\n\tclean = touch {marker}-clean; cat\n";
        File.WriteAllText(evil.Combine("gitconfig"), config);
        Directory.CreateDirectory(evil.Combine("home", ".config", "git"));
        File.WriteAllText(evil.Combine("home", ".gitconfig"), config);
        File.WriteAllText(evil.Combine("home", ".config", "git", "attributes"), "* filter=evil\n");
        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            echo "changed" >> src/app.txt
            printf '* filter=evil filter=evil2\n' > .gitattributes
            """, new Dictionary<string, string?>
        {
            ["PW_SANDBOX"] = "off",
            ["GIT_CONFIG_GLOBAL"] = evil.Combine("gitconfig"),
            ["GIT_CONFIG_SYSTEM"] = evil.Combine("gitconfig"),
            ["GIT_CONFIG_PARAMETERS"] = $"'core.fsmonitor'='touch {marker}-parameters' 'filter.evil2.clean'='touch {marker}-parameters-clean; cat'",
            ["GIT_DIR"] = evil.Path,
            ["GIT_WORK_TREE"] = evil.Path,
            ["HOME"] = evil.Combine("home"),
            ["XDG_CONFIG_HOME"] = evil.Combine("home", ".config"),
        });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var ana = bed.Client("ana");

        await using var run = await AskStream.RunAsync(ana, new { prompt = "go", project = "app" });

        Assert.True("result" == run.Final.GetProperty("type").GetString(), "the run failed: " + run.Final);
        Assert.Equal(new[] { ".gitattributes", "src/app.txt" }, run.Final.GetProperty("files").EnumerateArray().Select(f => f.GetString()).Order());
        Assert.Empty(Directory.GetFiles(evil.Path, "ran-*"));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task A_bad_git_deadline_setting_stops_the_start_with_a_clear_message()
    {
        using var temp = new TempDirectory("pw-gitdl");
        Directory.CreateDirectory(temp.Combine("home"));
        var (code, output) = await AgentProcess.RunToExitAsync(temp.Combine("home"), new Dictionary<string, string?> { ["PW_GIT_TIMEOUT_SEC"] = "soon" });
        Assert.Equal(2, code);
        Assert.Contains("PW_GIT_TIMEOUT_SEC", output);
    }
}
