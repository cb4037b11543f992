using System.Management.Automation;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// The settings of a command that talks to the agent as the user (ask, chat, chat sessions): loaded for a folder and
/// holding a token, or a failure worded for the caller.
/// </summary>
internal static class UserSettings
{
    /// <summary>For a cmdlet: a terminating error (Patchwire.Configuration.Invalid or .NoToken) when they cannot be used.</summary>
    public static ClientSettings Load(PSCmdlet cmdlet, string folder)
    {
        ClientSettings settings;
        try { settings = ClientSettingsLoader.Load(folder); }
        catch (ClientConfigurationException ex) { cmdlet.ThrowTerminatingError(ClientErrors.From(ex, folder)); throw; }
        if (string.IsNullOrEmpty(settings.Token)) cmdlet.ThrowTerminatingError(ClientErrors.NoToken(settings));
        return settings;
    }

    /// <summary>For a CLI verb: a <see cref="CliFailure"/> (exit 1) when they cannot be used.</summary>
    public static ClientSettings Load(string folder)
    {
        ClientSettings settings;
        try { settings = ClientSettingsLoader.Load(folder); }
        catch (ClientConfigurationException ex) { throw new CliFailure(ex.Message); }
        if (string.IsNullOrEmpty(settings.Token)) throw new CliFailure(ClientErrors.NoToken(settings).Exception.Message);
        return settings;
    }
}
