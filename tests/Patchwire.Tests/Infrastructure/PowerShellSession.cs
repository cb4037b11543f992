using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Patchwire.Tests.Infrastructure;

/// <summary>
/// Tests that drive the module in-process set PW_* variables, which are process-wide, so they all run
/// in this one non-parallel collection. Tests elsewhere pass their environment to child processes instead.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PowerShellCollection
{
    public const string Name = "PowerShell in-process";
}

/// <summary>A runspace with the module imported and PW_HOME pointed at a temporary folder.</summary>
public sealed class PowerShellSession : IDisposable
{
    private static readonly string[] Variables = { "PW_HOME", "PW_USERS_FILE", "PW_AUDIT_LOG", "PW_PROJECTS_ROOT", "PW_TOKEN", "PW_USER", "PW_AGENT_URL" };
    private readonly Dictionary<string, string?> _saved = new();
    private readonly Runspace _runspace;

    public PowerShellSession(string home, IDictionary<string, string?>? env = null)
    {
        foreach (var v in Variables) { _saved[v] = System.Environment.GetEnvironmentVariable(v); System.Environment.SetEnvironmentVariable(v, null); }
        System.Environment.SetEnvironmentVariable("PW_HOME", home);
        if (env is not null)
            foreach (var (k, v) in env)
            {
                if (!_saved.ContainsKey(k)) _saved[k] = System.Environment.GetEnvironmentVariable(k);
                System.Environment.SetEnvironmentVariable(k, v);
            }
        var iss = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows()) iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass; // setting it throws PlatformNotSupported elsewhere
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();
        Invoke($"Import-Module '{TestPaths.ModuleDll}'");
        foreach (var format in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Formats"), "*.format.ps1xml"))
            Invoke($"Update-FormatData -AppendPath '{format}'");
    }

    /// <summary>Runs a script; returns its output and the errors it wrote (terminating errors throw).</summary>
    public (Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        if (variables is not null)
            foreach (var (k, v) in variables) _runspace.SessionStateProxy.SetVariable(k, v);
        ps.AddScript(script);
        var output = ps.Invoke();
        return (output, ps.Streams.Error.ToList());
    }

    /// <summary>Runs a script that must not write errors.</summary>
    public Collection<PSObject> Invoke(string script, IDictionary<string, object?>? variables = null)
    {
        var (output, errors) = Run(script, variables);
        if (errors.Count > 0) throw new InvalidOperationException("Script wrote errors: " + string.Join("; ", errors.Select(e => e.ToString())));
        return output;
    }

    /// <summary>A pipeline on this session's runspace, for what <see cref="Run"/> does not expose (stopping it, as Ctrl+C does).</summary>
    public System.Management.Automation.PowerShell Create(string script)
    {
        var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        return ps;
    }

    public object? GetVariable(string name) => _runspace.SessionStateProxy.GetVariable(name);

    public void Dispose()
    {
        _runspace.Dispose();
        foreach (var (k, v) in _saved) System.Environment.SetEnvironmentVariable(k, v);
    }
}
