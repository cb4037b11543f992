using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Setup;

[Cmdlet(VerbsCommon.Set, "PatchwireConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireConfiguration))]
[Synopsis("Saves this laptop's Patchwire token, user and agent URL to $PW_HOME/env (what 'patchwire setup' does).")]
[Description("Checks the token with the agent's GET /me, then writes PW_TOKEN, PW_USER (the name the agent returns) and PW_AGENT_URL to $PW_HOME/env (default ~/.patchwire/env), readable by you only. A token the agent rejects (401), whose user is disabled (403), or an agent that cannot be reached (a mistyped URL or port) is not saved: the command fails with a terminating error and the env file is left as it was, unless -Force (then PW_USER comes from -User). Without -Token the token already saved is kept, so -AgentUrl alone moves the laptop to another agent. Variables already set in the environment (PW_TOKEN, PW_USER, PW_AGENT_URL) still win when the settings are loaded; a warning says so. Other lines of the env file are kept.")]
[Example("Set-PatchwireConfiguration -Token pw_b9f0... -AgentUrl http://buildbox:7878", "Checks the token against the agent and saves it with the user name the agent reports.")]
[Example("Set-PatchwireConfiguration -Token $token -AgentUrl http://buildbox:7878 -User ana -PassThru", "Saves, naming the user in case the agent is not reachable now, and shows what was saved (token masked).")]
[Example("Set-PatchwireConfiguration -AgentUrl http://newbox:7878", "Points this laptop at another agent, keeping the saved token (checked there first).")]
[Example("patchwire setup --token pw_b9f0... --agent-url http://buildbox:7878", "The same from the command line.")]
public sealed class SetPatchwireConfigurationCommand : PatchwireCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Your token as the admin gave it (pw_ followed by 64 hex characters). Default: the one already saved, so -AgentUrl alone changes only the URL.")]
    public string? Token { get; set; }

    [Parameter(HelpMessage = "The agent's URL, for example http://buildbox:7878. Default: the one already saved, else PW_AGENT_URL, else http://127.0.0.1:7878.")]
    [Alias("Url")]
    public string? AgentUrl { get; set; }

    [Parameter(HelpMessage = "Your user name; used when the agent cannot be reached to report it (the agent's answer wins otherwise).")]
    [Alias("UserName")]
    public string? User { get; set; }

    [Parameter(HelpMessage = "Save even when the agent rejects the token (401), reports the user disabled (403) or cannot be reached.")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Return the saved settings (token masked).")]
    public SwitchParameter PassThru { get; set; }

    [Parameter(HelpMessage = "Seconds to wait for the agent's answer when checking the token (default 10).")]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 10;

    protected override void ProcessRecord()
    {
        SetupPlan plan;
        try
        {
            plan = Await(token => LaptopSetup.PlanAsync(Token, AgentUrl, User, TimeSpan.FromSeconds(TimeoutSec), token));
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "Patchwire.Setup.InvalidArgument", ErrorCategory.InvalidArgument, null));
            return;
        }
        catch (OperationCanceledException) { return; }

        if (plan.Check is TokenCheck.Rejected or TokenCheck.Disabled or TokenCheck.AgentUnreachable)
        {
            if (!Force)
            {
                var (category, id) = plan.Check switch
                {
                    TokenCheck.Rejected => (ErrorCategory.AuthenticationError, "TokenRejected"),
                    TokenCheck.Disabled => (ErrorCategory.PermissionDenied, "UserDisabled"),
                    _ => (ErrorCategory.ConnectionError, "AgentUnreachable"),
                };
                ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(plan.CheckMessage + " Nothing was saved (use -Force to save it anyway)."),
                    "Patchwire.Setup." + id, category, plan.AgentUrl));
            }
            plan.Warnings.Add(plan.CheckMessage + " Saved anyway because of -Force.");
        }

        if (!ShouldProcess(plan.EnvFile, $"Save PW_TOKEN, PW_AGENT_URL={plan.AgentUrl}{(plan.User is null ? "" : ", PW_USER=" + plan.User)}")) return;
        try
        {
            LaptopSetup.Save(plan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "Patchwire.Setup.WriteFailed", ErrorCategory.WriteError, plan.EnvFile));
        }
        foreach (var warning in plan.Warnings) WriteWarning(warning);
        WriteVerbose($"Saved {plan.EnvFile}.");
        if (PassThru)
            WriteObject(new PatchwireConfiguration
            {
                AgentUrl = plan.AgentUrl, User = plan.User, Token = LaptopSetup.Mask(plan.Token), EnvFile = plan.EnvFile, TokenCheck = plan.Check.ToString(),
            });
    }
}
