using System.Management.Automation;
using System.Net;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Chat;

internal static class ChatErrors
{
    public static ErrorRecord From(ChatTurnFailedException ex, object? target) =>
        new(ex, "Patchwire.Chat." + ex.Code, ex.Code is "connection_lost" ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult, target);

    /// <summary>/chat's pre-flight answers: the session ones here, the checkout ones worded as for an ask.</summary>
    public static ErrorRecord From(AgentClientException ex, ClientSettings settings, Guid session, bool synced)
    {
        var message = (ex.Status, ex.ErrorCode) switch
        {
            (HttpStatusCode.Conflict, "turn in flight") =>
                $"Session {session} already has a turn queued or running. Wait for it to end, then send the next one.",
            (HttpStatusCode.Conflict, "session belongs to another project") =>
                $"Session {session} was started in another project than '{settings.Project}'. Leave out -Session to start a new one here.",
            _ => null,
        };
        return message is null
            ? AskErrors.From(ex, settings, synced)
            : ClientErrors.From(new AgentClientException(message, ex.Status, ex.ErrorCode, ex), session);
    }
}
