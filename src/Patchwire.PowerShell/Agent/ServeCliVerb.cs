using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Agent;

[CliVerb(CliVerbAttribute.Agent, "serve", "run the agent in the foreground (settings from PW_* variables)")]
public sealed class ServeCliVerb : ICliVerb
{
    public string Usage => "usage: patchwire-agent serve   (settings from PW_* environment variables; Ctrl+C stops)";

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException("'serve' takes no arguments");
        // Out-Host shows the agent's lines as they arrive; a foreground server's output is for the person watching it.
        context.Cmdlet.InvokeCommand.InvokeScript("Start-PatchwireAgent | Out-Host");
        return 0;
    }
}
