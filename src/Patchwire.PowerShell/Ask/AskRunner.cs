using System.Net.Http;
using System.Management.Automation;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Ask;

/// <summary>The run failed on the agent: its 'error' event (run_failed, diff_failed, internal), or a broken stream.</summary>
public sealed class AskFailedException(string code, string message)
    : PatchwireException(message, ErrorIds.AskPrefix + code, code is "connection_lost" ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult)
{
    public string Code { get; } = code;
}

/// <summary>
/// One ask, for Invoke-PatchwireAsk and 'patchwire ask' alike: optionally sync the project, POST /ask with the baseline,
/// and read the NDJSON stream event by event as it arrives (queued, accepted, then result or error). Cancelling closes
/// the connection, which makes the agent drop the request from its queue or stop the run.
/// </summary>
public static class AskRunner
{
    public static async Task<PatchwireAskResult> RunAsync(ClientSettings settings, string prompt, bool sync, Action<RunProgress> report, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.");
        var started = DateTime.UtcNow;
        using var client = new AgentClient(settings);
        var baseline = sync ? await ProjectSync.SyncForRunAsync(settings, client, prompt, report, cancellationToken).ConfigureAwait(false) : null;

        var body = new AskRequest { Prompt = prompt, Project = settings.Project, Baseline = baseline };
        using var events = await AgentEventStream.PostAsync(client, Routes.Ask, body, cancellationToken).ConfigureAwait(false);

        var queueWait = TimeSpan.Zero;
        while (true)
        {
            AgentEvent? e;
            try
            {
                e = await events.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new AskFailedException("connection_lost", $"The connection to the agent at {settings.AgentUrl} broke before the result arrived ({ex.Message}). The agent may have restarted: check with 'patchwire doctor', then ask again.");
            }
            catch (InvalidDataException)
            {
                throw new AskFailedException("bad_stream", $"The agent sent a line that is not JSON; is {settings.AgentUrl} really a Patchwire agent?");
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (e is null)
                throw new AskFailedException("connection_lost", $"The agent at {settings.AgentUrl} closed the stream before sending a result. The agent may have restarted: check with 'patchwire doctor', then ask again.");

            try
            {
                switch (e.Type)
                {
                    case EventTypes.Queued:
                        var position = e.As<QueuedEvent>().Position;
                        report(new RunProgress(RunProgress.Queued, $"Queued — position {position}…", position));
                        break;
                    case EventTypes.Accepted:
                        queueWait = TimeSpan.FromMilliseconds(e.As<AcceptedEvent>().QueueWaitMs);
                        report(new RunProgress(RunProgress.Asking, "Asking Patchwire…"));
                        break;
                    case EventTypes.Verifying:
                        report(new RunProgress(RunProgress.Verifying, "Verifying the change on the agent…"));
                        break;
                    case EventTypes.Result:
                        var result = e.As<ResultEvent>();
                        var diff = result.Diff ?? "";
                        return new PatchwireAskResult
                        {
                            Project = settings.Project,
                            ProjectRoot = settings.ProjectRoot,
                            Baseline = result.Baseline ?? baseline,
                            Diff = diff,
                            Files = FileChanges.From(result.Changes, diff),
                            ExitCode = result.ExitCode,
                            Duration = TimeSpan.FromMilliseconds(result.DurationMs),
                            QueueWait = queueWait,
                            Elapsed = DateTime.UtcNow - started,
                            Stdout = result.Stdout ?? "",
                            Stderr = result.Stderr ?? "",
                            Verify = PatchwireVerifyResult.From(result.Verify),
                        };
                    case EventTypes.Error:
                        var error = e.As<ErrorEvent>();
                        throw new AskFailedException(error.Code ?? ErrorCodes.Internal, Explain(error.Code, error.Message));
                }
            }
            catch (InvalidDataException ex)
            {
                throw new AskFailedException("bad_stream", ex.Message);
            }
        }
    }

    private static string Explain(string? code, string? message) => code switch
    {
        ErrorCodes.RunFailed => $"The AI run failed on the agent (run_failed): {message}",
        ErrorCodes.DiffFailed => $"The agent could not compute the diff (diff_failed): {message}",
        _ => $"The agent reported an error ({code}): {message}",
    };
}
