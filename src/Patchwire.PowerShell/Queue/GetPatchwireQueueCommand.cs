using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Queue;

[Cmdlet(VerbsCommon.Get, "PatchwireQueue")]
[OutputType(typeof(PatchwireQueue))]
[Synopsis("Shows the agent's queue: its caps, the requests running and the requests waiting, in order.")]
[Description("Calls GET /queue on the agent named by PW_AGENT_URL (or $PW_HOME/env) with your token. The result is one object: GlobalCap and PerUserCap (PW_MAX_CONCURRENT_TOTAL and PW_MAX_CONCURRENT_PER_USER), InFlight with one user name per running request, and Queued with one entry per waiting request (User, Position). Waiting requests are served in arrival order, except that a request whose user is at the per-user cap lets the ones behind it pass.")]
[Example("Get-PatchwireQueue", "Shows how many slots are in use, who is running and who waits.")]
[Example("(Get-PatchwireQueue).Queued | Where-Object User -eq $env:PW_USER", "Lists the places of your own waiting requests.")]
[Example("while ((Get-PatchwireQueue).FreeSlots -eq 0) { Start-Sleep -Seconds 5 }", "Waits until the agent has a free slot.")]
public sealed class GetPatchwireQueueCommand : PatchwireCmdlet
{
    protected override void EndProcessing()
    {
        var settings = QueueSettings.Load(this, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(30));
        try
        {
            WriteVerbose($"GET {settings.AgentUrl}/queue");
            WriteObject(Await(token => QueueReader.ReadAsync(client, token)));
        }
        catch (AgentClientException ex)
        {
            ThrowTerminatingError(Errors.From(ex, settings.AgentUrl));
        }
    }
}
