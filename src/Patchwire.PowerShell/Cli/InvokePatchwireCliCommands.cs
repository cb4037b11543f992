using System.Management.Automation;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Cli;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwireCli")]
[Alias("patchwire")]
[OutputType(typeof(string))]
[Synopsis("The laptop command line 'patchwire' (setup, sync, ask, apply, chat, doctor, queue).")]
[Description("Accepts the same syntax as the original Patchwire CLI and maps each verb onto a cmdlet. A failing verb writes one error (so $? is False) and sets $LASTEXITCODE (0 on success, 1 on failure, 2 for bad usage, 130 after Ctrl+C); in 'pwsh -File' or 'pwsh -Command' the process then exits with that code unless the script ends with its own 'exit'. Messages for the person go to the host's information stream, so '*> $null' silences them.")]
[Example("patchwire --help", "Lists the verbs.")]
[Example("patchwire setup --token pw_0123...", "Saves a token for this laptop.")]
[Example("patchwire ask \"add retries to the client\" --yes", "Asks and applies the returned diff without asking.")]
[Example("Get-Content ~/token.txt | patchwire setup --token-stdin", "Saves a token without it ever appearing on a command line or in the history.")]
public sealed class InvokePatchwireCliCommand : PatchwireCmdlet
{
    private readonly List<string> _input = new();

    [Parameter(Position = 0, ValueFromRemainingArguments = true, HelpMessage = "The verb and its arguments.")]
    public string[]? Arguments { get; set; }

    [Parameter(ValueFromPipeline = true, HelpMessage = "Lines piped to the verb: its standard input (setup --token-stdin reads the token from it).")]
    public string? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null) _input.Add(InputObject);
    }

    protected override void EndProcessing() => CliDispatcher.Run(this, CliVerbAttribute.Laptop, Arguments, _input);
}

[Cmdlet(VerbsLifecycle.Invoke, "PatchwireAgentCli")]
[Alias("patchwire-agent")]
[OutputType(typeof(string))]
[Synopsis("The box's command line 'patchwire-agent' (serve, user, log).")]
[Description("Accepts the seed's syntax (patchwire-agent user add ana, patchwire-agent log --since 24h) and maps each verb onto a cmdlet. No confirmation prompts; sets $LASTEXITCODE.")]
[Example("patchwire-agent user add ana", "Creates ana and prints her token once.")]
[Example("patchwire-agent user list", "Lists users, active or disabled, with last-seen times.")]
[Example("patchwire-agent serve", "Starts the agent in the foreground.")]
public sealed class InvokePatchwireAgentCliCommand : PatchwireCmdlet
{
    [Parameter(Position = 0, ValueFromRemainingArguments = true, HelpMessage = "The verb and its arguments.")]
    public string[]? Arguments { get; set; }

    protected override void EndProcessing() => CliDispatcher.Run(this, CliVerbAttribute.Agent, Arguments);
}
