using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Sync;

/// <summary>
/// Runs <see cref="ProjectSync.SyncAsync"/> from a cmdlet or verb: the sync runs on the thread pool while the
/// pipeline thread relays its progress (cmdlets may only write from their own thread), and Ctrl+C cancels it.
/// </summary>
public static class SyncRunner
{
    public static SyncResult Run(ClientSettings settings, Action<string>? onProgress, CancellationToken cancellationToken)
    {
        var messages = new BlockingCollection<string>();
        var progress = new QueueProgress(messages);
        var task = Task.Run(async () =>
        {
            try
            {
                using var client = new AgentClient(settings);
                return await ProjectSync.SyncAsync(settings, client, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                messages.CompleteAdding();
            }
        });
        foreach (var message in messages.GetConsumingEnumerable()) onProgress?.Invoke(message);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>An ErrorRecord a person can act on, for any failure a sync can end in.</summary>
    public static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        var (id, category) = exception switch
        {
            AgentClientException { Status: HttpStatusCode.Unauthorized } => ("AgentUnauthorized", ErrorCategory.AuthenticationError),
            AgentClientException { Status: HttpStatusCode.Forbidden } => ("AgentForbidden", ErrorCategory.PermissionDenied),
            AgentClientException { Status: null } => ("AgentUnreachable", ErrorCategory.ConnectionError),
            AgentClientException { Status: HttpStatusCode.BadRequest } => ("SyncRefused", ErrorCategory.InvalidData),
            AgentClientException => ("AgentError", ErrorCategory.InvalidResult),
            GitCommandException => ("GitFailed", ErrorCategory.InvalidOperation),
            SyncException => ("SyncFailed", ErrorCategory.InvalidOperation),
            OperationCanceledException => ("SyncCanceled", ErrorCategory.OperationStopped),
            _ => ("SyncFailed", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(exception, "Patchwire.Sync." + id, category, target);
    }

    private sealed class QueueProgress(BlockingCollection<string> messages) : IProgress<string>
    {
        public void Report(string value)
        {
            try { messages.Add(value); }
            catch (InvalidOperationException) { }
        }
    }
}
