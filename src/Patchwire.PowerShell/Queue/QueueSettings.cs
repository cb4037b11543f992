using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Queue;

/// <summary>
/// The queue is read as a user, like every request to the agent. The person who runs Get-PatchwireQueue without a
/// token is often the admin on the box, who has no admin to ask: there the message says how to make their own.
/// </summary>
internal static class QueueSettings
{
    public static ClientSettings Load(PSCmdlet cmdlet, string folder)
    {
        ClientSettings settings;
        try { settings = ClientSettingsLoader.Load(folder); }
        catch (ClientConfigurationException ex) { cmdlet.ThrowTerminatingError(ClientErrors.From(ex, folder)); throw; }
        if (string.IsNullOrEmpty(settings.Token))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(NoTokenMessage(settings)),
                "Patchwire.Configuration.NoToken", ErrorCategory.AuthenticationError, settings.EnvFile));
        return settings;
    }

    public static ClientSettings Load(string folder)
    {
        ClientSettings settings;
        try { settings = ClientSettingsLoader.Load(folder); }
        catch (ClientConfigurationException ex) { throw new CliFailure(ex.Message); }
        if (string.IsNullOrEmpty(settings.Token)) throw new CliFailure(NoTokenMessage(settings));
        return settings;
    }

    public static string NoTokenMessage(ClientSettings settings)
    {
        var start = $"No token: the queue, like every request to the agent, is read as a user, and PW_TOKEN is not set ({settings.EnvFile} has none).";
        var registry = ModuleEnvironment.Registry();
        if (!registry.Exists)
            return start + " Ask your admin for a token, then run 'patchwire setup --token pw_...' (or Set-PatchwireConfiguration -Token pw_...).";
        var me = NameRules.Check(Environment.UserName, "user name") is null ? Environment.UserName : "admin";
        return start + $" This machine has the user registry ({registry.Path}), so you are the admin: give yourself a user and save its token, " +
               $"e.g. $me = New-PatchwireUser {me}; Set-PatchwireConfiguration -Token $me.Token -AgentUrl {settings.AgentUrl} " +
               $"(or: patchwire-agent user add {me}, then patchwire setup --token pw_... --agent-url {settings.AgentUrl}).";
    }
}
