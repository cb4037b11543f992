using System.Management.Automation;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// The settings of a command that talks to the agent as the user (ask, chat, sync, queue): loaded for a folder and
/// holding a token, or a failure worded for the caller.
/// </summary>
internal static class UserSettings
{
    /// <summary>For a cmdlet: a terminating error (Patchwire.Configuration.Invalid or .NoToken) when they cannot be used.</summary>
    public static ClientSettings Load(PSCmdlet cmdlet, string folder)
    {
        try { return Load(folder); }
        catch (PatchwireException ex) { cmdlet.ThrowTerminatingError(Errors.From(ex, folder)); throw; }
    }

    /// <exception cref="ClientConfigurationException">patchwire.yml or the env file cannot be used.</exception>
    /// <exception cref="NoTokenException">No token is configured.</exception>
    public static ClientSettings Load(string folder)
    {
        var settings = ClientSettingsLoader.Load(folder);
        if (string.IsNullOrEmpty(settings.Token)) throw new NoTokenException(settings);
        return settings;
    }
}
