using System.Management.Automation;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Client;

/// <summary>No token is configured for the laptop.</summary>
public sealed class NoTokenException(ClientSettings settings) : PatchwireException(
    $"No token: PW_TOKEN is not set and {settings.EnvFile} has none. Ask your admin for a token and run 'patchwire setup --token pw_...' (or Set-PatchwireConfiguration -Token pw_...).",
    ErrorIds.NoToken, ErrorCategory.AuthenticationError, "patchwire setup --token pw_...")
{
    public string EnvFile { get; } = settings.EnvFile;
}

/// <summary>ErrorRecords for the laptop side's failures, through the module's one error map.</summary>
internal static class ClientErrors
{
    public static ErrorRecord From(AgentClientException ex, object? target = null) => Errors.From(ex, target);

    public static ErrorRecord From(ClientConfigurationException ex, object? target = null) => Errors.From(ex, target ?? ex.File);

    public static ErrorRecord NoToken(ClientSettings settings) => Errors.From(new NoTokenException(settings), settings.EnvFile);
}
