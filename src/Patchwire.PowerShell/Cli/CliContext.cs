using System.Management.Automation;
using System.Management.Automation.Host;

namespace Patchwire.PowerShell.Cli;

/// <summary>What a verb may do: write lines of output, write coloured text to the host, ask the user, report errors.</summary>
public sealed class CliContext(PSCmdlet cmdlet, string tool)
{
    public PSCmdlet Cmdlet { get; } = cmdlet;
    public string Tool { get; } = tool;

    /// <summary>A line of the verb's output, sent down the pipeline so scripts can capture it.</summary>
    public void Out(string line) => Cmdlet.WriteObject(line);

    public void Info(string line) => Cmdlet.Host.UI.WriteLine(line);

    public void Colored(string line, ConsoleColor color)
    {
        var ui = Cmdlet.Host.UI;
        try { ui.WriteLine(color, ui.RawUI?.BackgroundColor ?? ConsoleColor.Black, line); }
        catch (HostException) { ui.WriteLine(line); }
        catch (NotImplementedException) { ui.WriteLine(line); }
    }

    public void Warn(string line) => Cmdlet.WriteWarning(line);

    public void Error(string message, string id = "CliError", ErrorCategory category = ErrorCategory.NotSpecified) =>
        Cmdlet.WriteError(new ErrorRecord(new InvalidOperationException(message), "Patchwire.Cli." + id, category, null));

    /// <summary>True when a person can answer prompts (not -NonInteractive, not redirected).</summary>
    public bool Interactive
    {
        get
        {
            try
            {
                var nonInteractive = Environment.GetCommandLineArgs().Any(a => a.Equals("-NonInteractive", StringComparison.OrdinalIgnoreCase) || a.Equals("-noni", StringComparison.OrdinalIgnoreCase));
                return !nonInteractive && Cmdlet.Host.Name != "Default Host" && !Console.IsInputRedirected;
            }
            catch { return false; }
        }
    }

    public string? ReadLine(string prompt)
    {
        Cmdlet.Host.UI.Write(prompt);
        return Cmdlet.Host.UI.ReadLine();
    }
}
