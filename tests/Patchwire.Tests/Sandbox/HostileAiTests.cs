using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Sandbox;

/// <summary>
/// Stand-in AIs that try what a prompt-injected AI would, with the sandbox on: every read of another user's or the
/// agent's data comes back empty (not in stdout, not in the diff) and every write outside the AI's checkout fails,
/// while the AI's own work in its checkout still reaches its user.
/// </summary>
public sealed class HostileAiTests
{
    private static string Marker(string what) => $"{what}-{Guid.NewGuid():N}";

    private static string Sha256Hex(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    /// <summary>stdout, stderr and the diff of a result: everything the AI's user gets back.</summary>
    private static string Returned(JsonElement result)
    {
        Assert.True(result.GetProperty("type").GetString() == "result", "expected a result, got " + result);
        return result.GetProperty("stdout").GetString() + "\n" + result.GetProperty("stderr").GetString() + "\n" + result.GetProperty("diff").GetString();
    }

    [SandboxFact]
    public async Task Reads_of_another_users_checkout_and_of_the_agents_state_return_nothing()
    {
        var agentOnly = Marker("agent-only-setting");
        await using var bed = await SandboxTestBed.StartAsync("echo warming up", new Dictionary<string, string?> { ["PW_TEST_AGENT_ONLY"] = agentOnly });
        var benSecret = Marker("BEN-SECRET");
        var ben = bed.CreateCheckout("ben", "app", benSecret);
        var ana = bed.CreateCheckout("ana", "app", Marker("ana-own"));
        // A symlink that arrived with a synced tree, pointing at ben's file.
        File.CreateSymbolicLink(Path.Combine(ana.Path, "synced-link"), "../../ben/app/secret.txt");
        ana.CommitAll("a link out");
        var benBefore = CheckoutAssert.Fingerprint(ben.Path);
        await bed.AskAsync("ana", "app"); // the audit log now has a line
        var anaHash = Sha256Hex(bed.Token("ana"));
        var benHash = Sha256Hex(bed.Token("ben"));
        var usersText = File.ReadAllText(bed.Agent.UsersFile);
        Assert.Contains(benHash, usersText);
        var auditText = File.ReadAllText(bed.AuditLog);
        Assert.Contains("\"ana\"", auditText);

        var targets = new (string Name, string Read)[]
        {
            ("relative path", "cat ../../ben/app/secret.txt ../../../ben/app/secret.txt"),
            ("absolute path", $"cat '{ben.Path}/secret.txt'"),
            ("symlink made by the AI", $"ln -s '{ben.Path}/secret.txt' made-link && cat made-link; ln -s ../../ben/app made-dir && cat made-dir/secret.txt; ln -s ../../../ben/app made-dir3 && cat made-dir3/secret.txt"),
            ("symlink from the synced tree", "cat synced-link"),
            ("listing of the projects root", $"ls -la '{bed.Agent.ProjectsRoot}' ../.. ../../ben ../../.. ../../../ben ../../../ben/app"),
            ("users.json", $"cat '{bed.Agent.UsersFile}'"),
            ("audit log", $"cat '{bed.AuditLog}'*"),
            ("run journal", $"cat '{bed.JournalFolder}'/*; ls -la '{bed.Home}'"),
            ("agent environment", $"cat /proc/{bed.Agent.Pid}/environ; tr '\\0' '\\n' < /proc/1/environ; env"),
        };
        foreach (var (name, read) in targets)
        {
            bed.WriteScript($$"""
                cat > /dev/null
                echo "own file: $(cat src/app.txt | head -1)"
                { {{read}} ; } > leak.txt 2>&1
                cat leak.txt
                """);
            var result = await bed.AskAsync("ana", "app");
            var returned = Returned(result);
            Assert.True(returned.Contains("own file: line one"), $"{name}: the stand-in did not run as expected: {returned}");
            Assert.Contains("leak.txt", result.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
            foreach (var secret in new[] { benSecret, benHash, anaHash, agentOnly, "\"aiProcessId\"", "\"baseCommit\"", "\"tokenSha256\"", "PW_HOME=", "PW_TEST_AGENT_ONLY" })
                Assert.False(returned.Contains(secret, StringComparison.Ordinal), $"{name}: the AI read '{secret}':\n{returned}");
            Assert.DoesNotContain(auditText.Split('\n')[0], returned);
        }

        CheckoutAssert.SameTree(benBefore, ben.Path);
        Assert.Equal("", ana.Status);
    }

    [SandboxFact]
    public async Task Writes_outside_the_checkout_into_git_and_into_the_agents_state_change_nothing()
    {
        await using var bed = await SandboxTestBed.StartAsync("echo warming up");
        var ben = bed.CreateCheckout("ben", "app", Marker("BEN-SECRET"));
        var ana = bed.CreateCheckout("ana", "app", Marker("ana-own"));
        await bed.AskAsync("ben", "app");
        await bed.AskAsync("ana", "app"); // the agent writes the checkout's .git/config itself before a run
        var benBefore = CheckoutAssert.Fingerprint(ben.Path);
        var anaHead = ana.Head;
        var gitConfig = File.ReadAllBytes(Path.Combine(ana.Path, ".git", "config"));
        var hooks = Directory.GetFiles(Path.Combine(ana.Path, ".git", "hooks")).Order().ToList();
        var usersBefore = bed.Agent.Registry.Load().ToDictionary(u => u.Name, u => u.TokenSha256);
        var planted = Path.Combine(bed.Outside, "planted-command-ran");
        var forged = Marker("FORGED");
        bed.WriteScript($$"""
            cat > /dev/null
            try() { if eval "$1" 2>/dev/null; then echo "WROTE: $1"; else echo "refused: $1"; fi; }
            try "echo {{forged}} > '{{ben.Path}}/pwned.txt'"
            try "echo {{forged}} >> '{{ben.Path}}/secret.txt'"
            try "echo {{forged}} > ../../ben/app/src/app.txt"
            try "echo {{forged}} > ../../../ben/app/src/app.txt"
            try "echo {{forged}} > '{{ana.Path}}/src/app.txt'"
            try "echo {{forged}} > '{{ana.Path}}/.git/objects/pwned'"
            try "echo {{forged}} > '{{ana.Path}}/.git/config'"
            try "echo x > .git/objects/info/alternates"
            try "echo {{forged}} > '{{bed.Home}}/pwned'"
            try "echo '{}' > '{{bed.Agent.UsersFile}}'"
            try "echo '{\"user\":\"ben\",\"note\":\"{{forged}}\"}' >> '{{bed.AuditLog}}'"
            try "mkdir -p '{{bed.JournalFolder}}' && echo '{\"id\":\"{{forged}}\",\"checkout\":\"/\",\"baseCommit\":\"HEAD\"}' > '{{bed.JournalFolder}}/{{forged}}.json'"
            try "echo {{forged}} > '{{bed.Outside}}/pwned'"
            try "echo {{forged}} > /etc/pwned-by-ai"
            try "echo {{forged}} > /usr/pwned-by-ai"
            try "mkdir -p ../other && echo {{forged}} > ../other/x"
            try "printf '[core]\n\tfsmonitor = touch {{planted}}\n' >> .git/config"
            try "printf '#!/bin/sh\ntouch {{planted}}\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout"
            try "echo x > .git/info/planted"
            try "rm -rf .git"
            try "git commit -q --allow-empty -m planted"
            echo "log: $(git log --format=%s -1)"
            echo "a normal change" >> src/app.txt
            """);

        var result = await bed.AskAsync("ana", "app");

        var returned = Returned(result);
        Assert.False(returned.Contains("WROTE:"), returned);
        Assert.Equal(21, returned.Split('\n').Count(l => l.StartsWith("refused: ", StringComparison.Ordinal)));
        // git works in the run's folder: its history is read through the checkout's objects, shown read-only.
        Assert.Contains("log: sample project", returned);
        Assert.False(File.Exists(Path.Combine(ana.Path, ".git", "objects", "pwned")));
        Assert.Equal(new[] { "src/app.txt" }, result.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        CheckoutAssert.SameTree(benBefore, ben.Path);
        Assert.False(File.Exists(Path.Combine(bed.Home, "pwned")));
        Assert.False(File.Exists(Path.Combine(bed.Outside, "pwned")));
        Assert.False(Directory.Exists(Path.Combine(bed.Agent.ProjectsRoot, "ana", "other")));
        Assert.False(File.Exists("/etc/pwned-by-ai"));
        Assert.False(File.Exists("/usr/pwned-by-ai"));
        Assert.DoesNotContain(forged, File.ReadAllText(bed.AuditLog));
        Assert.Empty(Directory.GetFiles(bed.JournalFolder));
        var usersAfter = bed.Agent.Registry.Load().ToDictionary(u => u.Name, u => u.TokenSha256);
        Assert.Equal(usersBefore, usersAfter);
        Assert.Equal(gitConfig, File.ReadAllBytes(Path.Combine(ana.Path, ".git", "config")));
        Assert.Equal(hooks, Directory.GetFiles(Path.Combine(ana.Path, ".git", "hooks")).Order().ToList());
        Assert.False(File.Exists(Path.Combine(ana.Path, ".git", "info", "planted")));
        Assert.Equal(anaHead, ana.Head);
        Assert.Equal("", ana.Status);
        Assert.False(File.Exists(planted), "a command planted in .git ran");

        // The next start finds no forged journal entry, and the next run works.
        await bed.RestartAsync();
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains(forged));
        bed.WriteScript("cat > /dev/null; echo again >> src/app.txt");
        var next = await bed.AskAsync("ana", "app");
        Assert.Equal(new[] { "src/app.txt" }, next.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.False(File.Exists(planted), "a command planted in .git ran");
    }

    [SandboxFact]
    public async Task The_AI_sees_no_other_process_cannot_signal_the_agent_and_leaves_no_process_behind()
    {
        await using var bed = await SandboxTestBed.StartAsync("echo warming up");
        var ana = bed.CreateCheckout("ana", "app", Marker("ana-own"));
        bed.WriteScript($"""
            cat > /dev/null
            echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\n' ' ')"
            kill -9 {bed.Agent.Pid} 2>/dev/null && echo "KILLED the agent" || echo "kill refused"
            sleep 3171 &
            setsid sleep 3172 &
            nohup sleep 3173 > /dev/null 2>&1 &
            ( cd /tmp && sleep 3174 ) &
            echo "started background processes"
            """);

        var result = await bed.AskAsync("ana", "app");

        var stdout = result.GetProperty("stdout").GetString()!;
        Assert.Contains("started background processes", stdout);
        Assert.Contains("kill refused", stdout);
        Assert.False(bed.Agent.HasExited);
        var pids = stdout.Split('\n').Single(l => l.StartsWith("pids: ", StringComparison.Ordinal))["pids: ".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        // PID 1 is the sandbox's init (bwrap), then the AI and the few processes of that one shell line, numbered from 1.
        Assert.Contains(1, pids);
        Assert.True(pids.Count <= 12 && pids.All(p => p < 50), "the AI saw other processes: " + string.Join(' ', pids));
        Assert.DoesNotContain(bed.Agent.Pid, pids.Where(p => p >= 50));
        Assert.Empty(await SandboxTestBed.WaitNoProcessesInAsync(ana.Path, TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(HostProcessesNamed("sleep 317"), p => true);
    }

    /// <summary>Host processes whose command line starts with <paramref name="prefix"/> and whose cwd is not outside every sandbox.</summary>
    private static List<int> HostProcessesNamed(string prefix)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !ProcessProbe.IsAlive(pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var ns = new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget;
                if (cmd.StartsWith(prefix, StringComparison.Ordinal) && ns != new FileInfo("/proc/self/ns/pid").LinkTarget) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    [SandboxFact]
    public async Task The_AI_gets_an_allowlisted_environment_and_a_private_home_per_user()
    {
        await using var bed = await SandboxTestBed.StartAsync("cat > /dev/null; env | sort; echo x > \"$HOME/seen-by-$(basename $HOME)\"; echo \"home holds: $(ls -A $HOME | tr '\\n' ' ')\"", new Dictionary<string, string?>
        {
            ["PW_AGENT_TOKEN"] = "legacy-secret-token-value",
            ["PW_AI_ENV"] = "PW_PASSED_VAR, ANTHROPIC_API_KEY",
            ["PW_PASSED_VAR"] = "passed-value",
            ["ANTHROPIC_API_KEY"] = "api-key-for-the-ai",
            ["PW_NOT_LISTED"] = "not-listed-value",
            ["AWS_SECRET_ACCESS_KEY"] = "aws-secret-value",
            ["LC_ALL"] = "C.UTF-8",
        });
        bed.CreateCheckout("ana", "app", Marker("ana-own"));
        bed.CreateCheckout("ben", "app", Marker("ben-own"));

        var ana = (await bed.AskAsync("ana", "app")).GetProperty("stdout").GetString()!;
        var ben = (await bed.AskAsync("ben", "app")).GetProperty("stdout").GetString()!;

        var anaHome = Path.Combine(bed.Home, "ai-home", "ana");
        Assert.Contains($"HOME={anaHome}\n", ana);
        Assert.Contains($"HOME={Path.Combine(bed.Home, "ai-home", "ben")}\n", ben);
        Assert.Contains("PW_PASSED_VAR=passed-value", ana);
        Assert.Contains("ANTHROPIC_API_KEY=api-key-for-the-ai", ana);
        Assert.Contains("LC_ALL=C.UTF-8", ana);
        Assert.Contains("PATH=", ana);
        foreach (var hidden in new[] { "legacy-secret-token-value", "not-listed-value", "aws-secret-value", "PW_HOME", "PW_SANDBOX", "PW_AI_BIN" })
            Assert.DoesNotContain(hidden, ana);
        // Each user's home holds only that user's AI state, and is the owner's alone.
        string HomeLine(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("home holds: ", StringComparison.Ordinal));
        Assert.Equal("home holds: .gitconfig seen-by-ana", HomeLine(ana).Trim());
        Assert.Equal("home holds: .gitconfig seen-by-ben", HomeLine(ben).Trim());
        Assert.True(File.Exists(Path.Combine(anaHome, "seen-by-ana")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(anaHome));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(bed.Home, "ai-home")));
    }

    [SandboxFact]
    public async Task With_network_none_the_AI_has_only_loopback()
    {
        await using var bed = await SandboxTestBed.StartAsync("cat > /dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '; echo",
            new Dictionary<string, string?> { ["PW_SANDBOX_NETWORK"] = "none" });
        bed.CreateCheckout("ana", "app", Marker("ana-own"));

        var stdout = (await bed.AskAsync("ana", "app")).GetProperty("stdout").GetString()!.Trim();

        Assert.Equal("lo", stdout);
    }
}
