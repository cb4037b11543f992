using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Patchwire.Tests.Laptop;

/// <summary>
/// A real agent (its AI a bash script written by the test) and a laptop: its own PW_HOME and git projects in
/// temporary folders. Sessions point PW_HOME at the laptop home; the agent has a separate one.
/// </summary>
public sealed class LaptopTestBed : IAsyncDisposable
{
    private readonly TempDirectory _temp = new("pw-laptop");
    private Dictionary<string, string?> _agentSettings = new();

    private LaptopTestBed() { }

    public AgentProcess Agent { get; private set; } = null!;
    public string AgentHome => _temp.Combine("agent-home");
    public string LaptopHome => _temp.Combine("laptop-home");
    public string Notes => _temp.Combine("notes");
    public string ScriptPath => _temp.Combine("ai.sh");
    public string Temp => _temp.Path;

    /// <summary>
    /// Starts an agent whose AI runs <paramref name="aiScript"/> in the checkout with the prompt on stdin.
    /// NOTES names a folder outside every checkout; 'wait_for NAME' blocks until the test calls <see cref="Release"/>.
    /// </summary>
    public static async Task<LaptopTestBed> StartAsync(string aiScript, IDictionary<string, string?>? env = null)
    {
        var bed = new LaptopTestBed();
        Directory.CreateDirectory(bed.AgentHome);
        Directory.CreateDirectory(bed.LaptopHome);
        Directory.CreateDirectory(bed.Notes);
        File.WriteAllText(bed.ScriptPath,
            $"#!/bin/bash\nNOTES='{bed.Notes}'\n" +
            "wait_for() { for i in $(seq 1 600); do [ -e \"$NOTES/$1\" ] && return 0; sleep 0.05; done; return 1; }\n" +
            "PROMPT=$(cat)\n" + aiScript + "\n");
        var settings = new Dictionary<string, string?> { ["PW_AI_BIN"] = "bash", ["PW_AI_ARGS"] = $"'{bed.ScriptPath}'", ["PW_TIMEOUT_SEC"] = "60" };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        bed._agentSettings = settings;
        bed.Agent = await AgentProcess.StartAsync(bed.AgentHome, settings);
        return bed;
    }

    /// <summary>kill -9 of the agent, then a new one on the same home and port (so the laptop's settings still name it).</summary>
    public async Task KillAndRestartAgentAsync()
    {
        var port = new Uri(Agent.BaseUrl).Port;
        Agent.KillHard();
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(AgentHome, new Dictionary<string, string?>(_agentSettings) { ["PW_AGENT_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public void Release(string name) => File.WriteAllText(Path.Combine(Notes, name), "");

    public async Task WaitForNoteAsync(string name, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!File.Exists(Path.Combine(Notes, name)))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"The AI stand-in never wrote the note '{name}'.");
            await Task.Delay(50);
        }
    }

    /// <summary>A committed laptop project (f.txt of 12 lines, README.md) plus uncommitted work (wip.txt) and an ignored .env.</summary>
    public GitRepo CreateProject(string name = "team-app")
    {
        var repo = GitRepo.Init(_temp.Combine("laptop", name));
        repo.Write(".gitignore", ".env\n");
        repo.Write("f.txt", string.Join("\n", Enumerable.Range(1, 12).Select(i => $"line {i}")) + "\n");
        repo.CommitAll("sample");
        repo.Write("wip.txt", "uncommitted work\n");
        repo.Write(".env", "SECRET=1\n");
        return repo;
    }

    /// <summary>The laptop's environment for a PowerShellSession: its own PW_HOME, and the agent URL and token as variables.</summary>
    public Dictionary<string, string?> LaptopEnvironment(string? token, string? agentUrl = null) => new()
    {
        ["PW_AGENT_URL"] = agentUrl ?? Agent.BaseUrl,
        ["PW_TOKEN"] = token,
    };

    public PowerShellSession Session(string? token, string? agentUrl = null) => new(LaptopHome, LaptopEnvironment(token, agentUrl));

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        _temp.Dispose();
    }
}

/// <summary>
/// A second runspace with the module, for what PowerShellSession does not expose: the progress stream and
/// stopping a running pipeline (Ctrl+C). Environment variables come from the PowerShellSession the test holds.
/// </summary>
public sealed class ModuleRunspace : IDisposable
{
    private readonly Runspace _runspace;

    public ModuleRunspace()
    {
        var iss = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows()) iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass; // throws PlatformNotSupported elsewhere
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript($"Import-Module '{TestPaths.ModuleDll}'").Invoke();
    }

    public System.Management.Automation.PowerShell Create(string script)
    {
        var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        return ps;
    }

    public void Dispose() => _runspace.Dispose();
}
