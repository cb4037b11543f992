using System.Net;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Ask;

/// <summary>/ask's pre-flight answers, reworded for a developer who asked with or without a sync (cmdlet and verb alike).</summary>
internal static class AskErrors
{
    public static Exception Reword(Exception failure, ClientSettings settings, bool synced, string retry = "Ask")
    {
        if (failure is not AgentClientException ex) return failure;
        var message = (ex.Status, ex.ErrorCode) switch
        {
            (HttpStatusCode.NotFound, _) when !synced =>
                $"The agent has no project '{settings.Project}' for {settings.User ?? "you"} ({ex.ErrorCode ?? "404"}). {retry} without -NoSync (--no-sync) so the project is synced first.",
            (HttpStatusCode.PreconditionFailed, _) =>
                $"The agent's checkout of '{settings.Project}' is not a git repository ({ex.ErrorCode ?? "412"}). {retry} without -NoSync (--no-sync) to sync it.",
            (HttpStatusCode.Conflict, HttpErrors.UnknownBaseline) =>
                $"The agent no longer has the snapshot this {retry.ToLowerInvariant()} starts from ({ex.ErrorCode}): another sync of '{settings.Project}' replaced it, or the agent's checkout was reset. {retry} again (it syncs first).",
            (HttpStatusCode.Conflict, HttpErrors.CheckoutDirty) =>
                $"The agent's checkout of '{settings.Project}' has uncommitted changes ({ex.ErrorCode}). {retry} without -NoSync (--no-sync) so the run starts from your synced tree.",
            (HttpStatusCode.BadRequest, _) =>
                $"The agent refused the request: {ex.ErrorCode ?? ex.Message}. Check the project name '{settings.Project}' (letters, digits, '_', '.', '-').",
            _ => null,
        };
        return message is null ? ex : ex.Reworded(message);
    }
}
