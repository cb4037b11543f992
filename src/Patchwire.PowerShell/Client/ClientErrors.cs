using System.Management.Automation;
using System.Net;

namespace Patchwire.PowerShell.Client;

/// <summary>ErrorRecords for the laptop side's failures, with categories a script can test.</summary>
internal static class ClientErrors
{
    public static ErrorRecord From(AgentClientException ex, object? target = null)
    {
        var (id, category) = ex.Status switch
        {
            HttpStatusCode.Unauthorized => ("TokenRejected", ErrorCategory.AuthenticationError),
            HttpStatusCode.Forbidden when ex.ErrorCode is { } code && code != "user disabled" => ("PolicyRefused", ErrorCategory.PermissionDenied),
            HttpStatusCode.Forbidden => ("UserDisabled", ErrorCategory.PermissionDenied),
            HttpStatusCode.NotFound => ("NotFound", ErrorCategory.ObjectNotFound),
            HttpStatusCode.Conflict => ("Conflict", ErrorCategory.ResourceBusy),
            HttpStatusCode.PreconditionFailed => ("PreconditionFailed", ErrorCategory.InvalidOperation),
            HttpStatusCode.BadRequest => ("BadRequest", ErrorCategory.InvalidArgument),
            (HttpStatusCode)413 => ("TooLarge", ErrorCategory.LimitsExceeded),
            null => ("AgentUnreachable", ErrorCategory.ConnectionError),
            _ => ("AgentError", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(ex, "Patchwire.Agent." + id, category, target);
    }

    public static ErrorRecord From(ClientConfigurationException ex, object? target = null) =>
        new(ex, "Patchwire.Configuration.Invalid", ErrorCategory.InvalidData, target ?? ex.File);

    public static ErrorRecord NoToken(ClientSettings settings) =>
        new(new InvalidOperationException(
                $"No token: PW_TOKEN is not set and {settings.EnvFile} has none. Ask your admin for a token and run 'patchwire setup --token pw_...' (or Set-PatchwireConfiguration -Token pw_...)."),
            "Patchwire.Configuration.NoToken", ErrorCategory.AuthenticationError, settings.EnvFile);
}
