using System.Management.Automation;
using System.Net;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Ask;

internal static class AskErrors
{
    public static ErrorRecord From(AskFailedException ex, object? target) =>
        new(ex, "Patchwire.Ask." + ex.Code, ex.Code is "connection_lost" ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult, target);

    /// <summary>/ask's pre-flight answers, reworded for a developer who ran the ask with or without a sync.</summary>
    public static ErrorRecord From(AgentClientException ex, ClientSettings settings, bool synced)
    {
        var message = ex.Status switch
        {
            HttpStatusCode.NotFound when !synced =>
                $"The agent has no project '{settings.Project}' for {settings.User ?? "you"} ({ex.ErrorCode ?? "404"}). Ask without -NoSync (--no-sync) so the project is synced first.",
            HttpStatusCode.PreconditionFailed =>
                $"The agent's checkout of '{settings.Project}' is not a git repository ({ex.ErrorCode ?? "412"}). Ask without -NoSync (--no-sync) to sync it.",
            HttpStatusCode.Conflict =>
                $"The agent's checkout of '{settings.Project}' has uncommitted changes ({ex.ErrorCode ?? "409"}). Ask without -NoSync (--no-sync) so the run starts from your synced tree.",
            HttpStatusCode.BadRequest =>
                $"The agent refused the request: {ex.ErrorCode ?? ex.Message}. Check the project name '{settings.Project}' (letters, digits, '_', '.', '-').",
            _ => null,
        };
        return message is null ? ClientErrors.From(ex, settings.Project) : ClientErrors.From(new AgentClientException(message, ex.Status, ex.ErrorCode, ex), settings.Project);
    }
}
