using System.Management.Automation;
using System.Net;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Chat;

internal static class ChatErrors
{
    public static ErrorRecord From(ChatTurnFailedException ex, object? target) =>
        new(ex, "Patchwire.Chat." + ex.Code, ex.Code is "connection_lost" ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult, target);

    /// <summary>/chat's pre-flight answers: the session ones and the common checkout ones here, the rest worded as for an ask.</summary>
    public static ErrorRecord From(AgentClientException ex, ClientSettings settings, Guid session, bool synced)
    {
        var message = (ex.Status, ex.ErrorCode) switch
        {
            (HttpStatusCode.Conflict, "turn in flight") =>
                $"Session {session} already has a turn queued or running. Wait for it to end, then send the next one.",
            (HttpStatusCode.Conflict, "session belongs to another project") =>
                $"Session {session} was started in another project than '{settings.Project}'. Leave out -Session to start a new one here.",
            (HttpStatusCode.NotFound, _) when !synced =>
                $"The agent has no project '{settings.Project}' for {settings.User ?? "you"} ({ex.ErrorCode ?? "404"}). Chat without -NoSync (--no-sync) so the project is synced first.",
            (HttpStatusCode.Conflict, "checkout is dirty") =>
                $"The agent's checkout of '{settings.Project}' has uncommitted changes ({ex.ErrorCode}). Chat without -NoSync (--no-sync) so the turn starts from your synced tree.",
            _ => null,
        };
        return message is null
            ? AskErrors.From(ex, settings, synced)
            : ClientErrors.From(new AgentClientException(message, ex.Status, ex.ErrorCode, ex), session);
    }
}
