using System.Text.Json;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Sandbox;

/// <summary>A test that needs bubblewrap: skipped, with the reason, on a machine without it (build.ps1 Test installs it when it can).</summary>
public sealed class SandboxFactAttribute : FactAttribute
{
    public SandboxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "The AI sandbox (bubblewrap) exists on Linux only.";
        else if (!File.Exists("/usr/bin/bwrap")) Skip = "bubblewrap is not installed (/usr/bin/bwrap); './build.ps1 Test' installs it with apt-get when run as root or with sudo.";
    }
}

/// <summary>
/// A real agent with PW_SANDBOX=bwrap whose AI is a bash script written by the test and installed in a folder of its
/// own (PW_AI_BIN points at it, so the sandbox shows that folder read-only, as it shows a real AI's install tree).
/// The stand-ins cannot leave notes outside their checkout (that is the point), so they report on stdout.
/// </summary>
public sealed class SandboxTestBed : AgentTestBed
{
    private SandboxTestBed() : base("pw-sbx") { }

    public string AiFolder => TempDirectory.Combine("ai-install");
    public string ScriptPath => Path.Combine(AiFolder, "ai");
    /// <summary>A folder of the test's own, outside the agent's state: never visible to the AI.</summary>
    public string Outside => TempDirectory.Combine("outside");

    public static async Task<SandboxTestBed> StartAsync(string aiScript, IDictionary<string, string?>? env = null)
    {
        var bed = new SandboxTestBed();
        Directory.CreateDirectory(bed.Home);
        Directory.CreateDirectory(bed.Outside);
        bed.WriteScript(aiScript);
        var settings = new Dictionary<string, string?>
        {
            ["PW_SANDBOX"] = "bwrap",
            ["PW_AI_BIN"] = bed.ScriptPath,
            ["PW_AI_ARGS"] = "--print",
            ["PW_AI_CREDENTIALS"] = "none",
            ["PW_TIMEOUT_SEC"] = "60",
        };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        bed.Agent = await AgentProcess.StartAsync(bed.Home, settings);
        return bed;
    }

    public void WriteScript(string aiScript)
    {
        Directory.CreateDirectory(AiFolder);
        File.WriteAllText(ScriptPath, $"#!/bin/bash\n{aiScript}\n");
        File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }

    public async Task RestartAsync(bool hard = false)
    {
        var env = new Dictionary<string, string?>(Agent.Environment);
        if (hard) Agent.KillHard(); else await Agent.StopAsync();
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(Home, env);
    }

    public string CheckoutPath(string user, string project) => Path.Combine(Agent.ProjectsRoot, user, project);
    public string JournalFolder => Path.Combine(Home, "agent-state", "runs");
    public string AuditLog => Path.Combine(Home, "agent.log");

    /// <summary>A committed project holding <c>secret.txt</c> with <paramref name="secret"/>; build/ is ignored.</summary>
    public GitRepo CreateCheckout(string user, string project, string secret)
    {
        Token(user);
        var repo = GitRepo.Init(CheckoutPath(user, project));
        repo.Write(".gitignore", "build/\n");
        repo.Write("src/app.txt", "line one\nline two\n");
        repo.Write("secret.txt", secret + "\n");
        repo.CommitAll("sample project");
        return repo;
    }

    public async Task<JsonElement> AskAsync(string user, string project, string prompt = "go")
    {
        using var client = Client(user);
        await using var ask = await AskStream.RunAsync(client, new { prompt, project });
        return ask.Final.Clone();
    }

    /// <summary>Host processes (not zombies) whose working folder is in <paramref name="folder"/>.</summary>
    public static List<int> ProcessesIn(string folder)
    {
        var inside = folder.TrimEnd('/') + "/";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !ProcessProbe.IsAlive(pid)) continue;
            try
            {
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is not null && (cwd.TrimEnd('/') + "/").StartsWith(inside, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    public static async Task<List<int>> WaitNoProcessesInAsync(string folder, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var left = ProcessesIn(folder);
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            left = ProcessesIn(folder);
        }
        return left;
    }

    /// <summary>Whatever a failed test left running in this bed's folder.</summary>
    protected override void AfterAgentStopped()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var pid in ProcessesIn(Temp))
        {
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
    }
}
