using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>
/// A real agent whose AI is a bash script written by the test (PW_AI_BIN=bash, PW_AI_ARGS=script), with
/// checkouts created as real git repositories under the agent's projects root.
/// </summary>
public sealed class RunsTestBed : AgentTestBed
{
    private RunsTestBed() : base("pw-runs") { }

    public string ScriptPath => TempDirectory.Combine("ai.sh");
    /// <summary>A folder outside every checkout where stand-ins can leave notes for the test.</summary>
    public string Notes => TempDirectory.Combine("notes");

    /// <summary>Starts an agent running <paramref name="aiScript"/> (bash source; NOTES is set to <see cref="Notes"/>).</summary>
    public static async Task<RunsTestBed> StartAsync(string aiScript, IDictionary<string, string?>? env = null)
    {
        var bed = new RunsTestBed();
        Directory.CreateDirectory(bed.Notes);
        Directory.CreateDirectory(bed.Home);
        bed.WriteScript(aiScript);
        var settings = new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "bash",
            ["PW_AI_ARGS"] = $"'{bed.ScriptPath}'",
            ["PW_TIMEOUT_SEC"] = "60",
        };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        bed.Agent = await AgentProcess.StartAsync(bed.Home, settings);
        return bed;
    }

    public void WriteScript(string aiScript) =>
        File.WriteAllText(ScriptPath, $"#!/bin/bash\nNOTES='{Notes}'\n{aiScript}\n");

    /// <summary>Restarts the agent on the same PW_HOME (after <see cref="AgentProcess.KillHard"/> or a stop).</summary>
    public async Task RestartAsync()
    {
        var env = new Dictionary<string, string?>(Agent.Environment);
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(Home, env);
    }

    public string CheckoutPath(string user, string project) => Path.Combine(Agent.ProjectsRoot, user, project);

    /// <summary>A committed sample project: text files, a script, a file to delete, an ignored build output.</summary>
    public GitRepo CreateCheckout(string user, string project)
    {
        Token(user);
        var repo = GitRepo.Init(CheckoutPath(user, project));
        repo.Write(".gitignore", "build/\n*.log\n");
        repo.Write("src/app.txt", "line one\nline two\nline three\n");
        repo.Write("old-name.txt", "a file that will be renamed\nwith enough lines\nto be detected\nas a rename\n");
        repo.Write("gone.txt", "to be deleted\n");
        repo.Write("run.sh", "#!/bin/sh\necho run\n");
        repo.CommitAll("sample project");
        repo.Write("build/output.bin", "ignored build output\n");
        repo.Write("debug.log", "ignored log\n");
        return repo;
    }

    public string Note(string name) => Path.Combine(Notes, name);

    public async Task<JsonElement> QueueAsync(string user)
    {
        using var client = Client(user);
        return JsonDocument.Parse(await client.GetStringAsync("/queue")).RootElement.Clone();
    }

    /// <summary>
    /// A failed test can leave a stand-in that outlived its agent (they run in their own session): kill those whose
    /// pid is in a note, only while they still work inside this bed's folder (a reused pid is someone else's).
    /// </summary>
    protected override void AfterAgentStopped()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(Notes)) return;
        var inside = Temp.TrimEnd('/') + "/";
        foreach (var note in Directory.GetFiles(Notes, "*.pid"))
        {
            if (!int.TryParse(File.ReadAllText(note).Trim(), out var pid) || !ProcessProbe.IsAlive(pid)) continue;
            try
            {
                var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
                if (cwd is not null && (cwd.TrimEnd('/') + "/").StartsWith(inside, StringComparison.Ordinal))
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException) { }
        }
    }
}
