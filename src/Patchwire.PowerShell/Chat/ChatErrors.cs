using System.Net;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Chat;

/// <summary>/chat's pre-flight answers reworded for the session, cmdlet and verb alike.</summary>
internal static class ChatErrors
{
    public static Exception Reword(Exception failure, ClientSettings settings, Guid session, bool synced)
    {
        if (failure is not AgentClientException ex) return failure;
        var message = (ex.Status, ex.ErrorCode) switch
        {
            (HttpStatusCode.Conflict, HttpErrors.TurnInFlight) =>
                $"Session {session} already has a turn queued or running. Wait for it to end, then send the next one.",
            (HttpStatusCode.Conflict, HttpErrors.SessionOtherProject) =>
                $"Session {session} was started in another project than '{settings.Project}'. Leave out -Session to start a new one here.",
            (HttpStatusCode.NotFound, _) when !synced =>
                $"The agent has no project '{settings.Project}' for {settings.User ?? "you"} ({ex.ErrorCode ?? "404"}). Chat without -NoSync (--no-sync) so the project is synced first.",
            (HttpStatusCode.PreconditionFailed, _) =>
                $"The agent's checkout of '{settings.Project}' is not a git repository ({ex.ErrorCode ?? "412"}). Chat without -NoSync (--no-sync) to sync it.",
            (HttpStatusCode.Conflict, HttpErrors.UnknownBaseline) =>
                $"The agent no longer has the snapshot this turn starts from ({ex.ErrorCode}): another sync of '{settings.Project}' replaced it. Send the turn again (it syncs first).",
            (HttpStatusCode.Conflict, HttpErrors.CheckoutDirty) =>
                $"The agent's checkout of '{settings.Project}' has uncommitted changes ({ex.ErrorCode}). Chat without -NoSync (--no-sync) so the turn starts from your synced tree.",
            (HttpStatusCode.BadRequest, _) =>
                $"The agent refused the request: {ex.ErrorCode ?? ex.Message}. Check the project name '{settings.Project}' (letters, digits, '_', '.', '-').",
            _ => null,
        };
        return message is null ? ex : ex.Reworded(message);
    }
}
