using System.Management.Automation;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Cli;

/// <summary>
/// What a verb may do: write lines of output, write (coloured) text for the person through the host's information
/// stream (so '*> $null' and '6>' work), run async work cancelled by Ctrl+C, ask the user, report errors.
/// </summary>
public sealed class CliContext(PatchwireCmdlet cmdlet, string tool)
{
    public PatchwireCmdlet Cmdlet { get; } = cmdlet;
    public string Tool { get; } = tool;
    internal bool ErrorWritten { get; private set; }

    /// <summary>Lines piped to the verb in PowerShell ('x' | patchwire ...): its standard input within a pipeline.</summary>
    public IReadOnlyList<string> PipelineInput { get; set; } = Array.Empty<string>();

    /// <summary>A line of the verb's output, sent down the pipeline so scripts can capture it.</summary>
    public void Out(string line) => Cmdlet.WriteObject(line);

    /// <summary>A line for the person (progress, notes), like Write-Host: on the host, redirectable as stream 6.</summary>
    public void Info(string line) => Host(line, null, newline: true);

    public void Colored(string line, ConsoleColor color) => Host(line, color, newline: true);

    /// <summary>Text without a line end (a streamed reply).</summary>
    public void Write(string text) => Host(text, null, newline: false);

    public void Verbose(string line) => Cmdlet.WriteVerbose(line);

    public void Warn(string line) => Cmdlet.WriteWarning(line);

    /// <summary>A non-terminating error (the verb goes on, and its exit code will be non-zero).</summary>
    public void Error(string message, string id = ErrorIds.CliFailed, ErrorCategory category = ErrorCategory.NotSpecified) =>
        WriteError(new ErrorRecord(new InvalidOperationException(message), id, category, null));

    internal void WriteError(ErrorRecord record)
    {
        ErrorWritten = true;
        Cmdlet.WriteError(record);
    }

    /// <summary>Runs async work on the cmdlet's bridge: Ctrl+C cancels it.</summary>
    public T Run<T>(Func<CancellationToken, Task<T>> work, Action? onIdle = null) => Cmdlet.Bridge.Run(work, onIdle);

    /// <summary>Runs <paramref name="action"/> on the pipeline thread, from async work started with <see cref="Run{T}"/>.</summary>
    public void Post(Action action) => Cmdlet.Bridge.Post(action);

    public IProgress<T> Reporter<T>(Action<T> onPipeline) => Cmdlet.Bridge.Reporter(onPipeline);

    public string ResolvePath(string path) => Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

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

    /// <summary>The answer, or null at the end of input; Ctrl+C at the prompt stops the pipeline.</summary>
    public string? ReadLine(string prompt)
    {
        Cmdlet.Host.UI.Write(prompt);
        return Cmdlet.Host.UI.ReadLine();
    }

    private void Host(string text, ConsoleColor? color, bool newline)
    {
        var message = new HostInformationMessage { Message = text, NoNewLine = !newline };
        if (color is { } c) message.ForegroundColor = c;
        Cmdlet.WriteInformation(message, new[] { "PSHOST" });
    }
}
