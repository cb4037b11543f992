using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.InteropServices;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Agent;

[Cmdlet(VerbsLifecycle.Start, "PatchwireAgent")]
[OutputType(typeof(string))]
[Synopsis("Runs the Patchwire agent in the foreground until Ctrl+C.")]
[Description("Starts the agent shipped in the module folder on the dotnet host. Parameters override the PW_* environment variables for this run only. Its output (the listening line, caps and audit path, the AI command and whether it was found, warnings) is written as it arrives; a bad setting, a port in use or a folder it cannot write stops it with one line saying what to do. Ctrl+C stops the agent gracefully; if this PowerShell ends any other way (SIGTERM, a closed terminal) the agent stops too, so it never keeps the port.")]
[Example("Start-PatchwireAgent", "Runs the agent with settings from the environment (default http://127.0.0.1:7878).")]
[Example("Start-PatchwireAgent -ListenAddress 0.0.0.0 -Port 7878 -MaxConcurrentTotal 4", "Listens on every interface with four run slots.")]
public sealed class StartPatchwireAgentCommand : PSCmdlet
{
    private Process? _process;

    [Parameter(HelpMessage = "Port to listen on (PW_AGENT_PORT); 0 picks a free one.")]
    [ValidateRange(0, 65535)]
    public int? Port { get; set; }

    [Parameter(HelpMessage = "Address to bind (PW_AGENT_HOST).")]
    public string? ListenAddress { get; set; }

    [Parameter(HelpMessage = "Parent folder of all checkouts (PW_PROJECTS_ROOT).")]
    public string? ProjectsRoot { get; set; }

    [Parameter(HelpMessage = "The AI command (PW_AI_BIN).")]
    public string? AiCommand { get; set; }

    [Parameter(HelpMessage = "Arguments of the AI command (PW_AI_ARGS).")]
    public string? AiArguments { get; set; }

    [Parameter(HelpMessage = "Runs at once over all users (PW_MAX_CONCURRENT_TOTAL).")]
    [ValidateRange(1, 1024)]
    public int? MaxConcurrentTotal { get; set; }

    [Parameter(HelpMessage = "Runs at once per user (PW_MAX_CONCURRENT_PER_USER).")]
    [ValidateRange(1, 1024)]
    public int? MaxConcurrentPerUser { get; set; }

    [Parameter(HelpMessage = "Hard limit of one AI run in seconds (PW_TIMEOUT_SEC).")]
    [ValidateRange(1, 604800)]
    public int? TimeoutSec { get; set; }

    protected override void EndProcessing()
    {
        string dll;
        try { dll = AgentLocator.AgentDll; }
        catch (FileNotFoundException ex) { ThrowTerminatingError(new ErrorRecord(ex, "Patchwire.AgentMissing", ErrorCategory.ObjectNotFound, null)); return; }

        var start = new ProcessStartInfo(AgentLocator.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Arguments = Quote(dll) + " serve";
        void Set(string name, object? value) { if (value is not null) start.EnvironmentVariables[name] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture); }
        Set("PW_AGENT_PORT", Port);
        Set("PW_AGENT_HOST", ListenAddress);
        Set("PW_PROJECTS_ROOT", ProjectsRoot is null ? null : GetUnresolvedProviderPathFromPSPath(ProjectsRoot));
        Set("PW_AI_BIN", AiCommand);
        Set("PW_AI_ARGS", AiArguments);
        Set("PW_MAX_CONCURRENT_TOTAL", MaxConcurrentTotal);
        Set("PW_MAX_CONCURRENT_PER_USER", MaxConcurrentPerUser);
        Set("PW_TIMEOUT_SEC", TimeoutSec);
        // The agent stops when this pipe closes: whatever ends this pwsh (Ctrl+C, SIGTERM, a closed terminal, a
        // kill -9) closes it, so the agent is never left running orphaned and holding the port.
        Set("PW_AGENT_EXIT_WITH_STDIN", "1");

        var lines = new BlockingCollection<(bool IsError, string Line)>();
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Add((false, e.Data)); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Add((true, e.Data)); };
        _process.Exited += (_, _) => { };
        try { _process.Start(); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"Could not run '{start.FileName}': {ex.Message}. Install the .NET 10 runtime or set DOTNET_ROOT.", ex), "Patchwire.DotnetMissing", ErrorCategory.ObjectNotFound, null));
            return;
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // The agent's own one-line failures ("patchwire-agent: port 7878 ... in use") become this cmdlet's error when it
        // exits, so they are not echoed first; anything else on its stderr (its logger) is shown as it comes.
        var failures = new List<string>();
        void Show((bool IsError, string Line) item)
        {
            if (!item.IsError) WriteObject(item.Line);
            else if (item.Line.StartsWith("patchwire-agent: warning: ", StringComparison.Ordinal)) WriteWarning(item.Line.Substring("patchwire-agent: warning: ".Length));
            else if (item.Line.StartsWith("patchwire-agent:", StringComparison.Ordinal)) failures.Add(item.Line);
            else Host.UI.WriteErrorLine(item.Line);
        }
        while (true)
        {
            if (lines.TryTake(out var item, 200))
            {
                Show(item);
                continue;
            }
            if (_process.HasExited)
            {
                _process.WaitForExit();
                while (lines.TryTake(out item)) Show(item);
                break;
            }
        }
        if (_process.ExitCode != 0)
        {
            var message = failures.LastOrDefault() ?? $"The agent exited with code {_process.ExitCode}.";
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message), "Patchwire.AgentFailed", ErrorCategory.InvalidArgument, null));
        }
        foreach (var line in failures) WriteWarning(line);
    }

    protected override void StopProcessing()
    {
        var process = _process;
        if (process is null || process.HasExited) return;
        try
        {
            // Closing its stdin is a graceful stop on every OS (checkouts restored, last-seen times written);
            // on Unix SIGTERM says the same at once.
            try { process.StandardInput.Close(); } catch (IOException) { }
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) Process.Start("kill", $"-TERM {process.Id}")?.WaitForExit();
            if (!process.WaitForExit(20000)) process.Kill();
        }
        catch (InvalidOperationException) { }
    }

    private static string Quote(string s) => s.IndexOfAny(new[] { ' ', '"' }) >= 0 ? "\"" + s.Replace("\"", "\\\"") + "\"" : s;
}
