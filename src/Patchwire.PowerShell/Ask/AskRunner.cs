using System.Net.Http;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Ask;

/// <summary>The run failed on the agent: its 'error' event (run_failed, diff_failed, internal), or a broken stream.</summary>
public sealed class AskFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>What the person waiting should be told, as the ask goes.</summary>
public sealed class AskProgress(string stage, string message, int? position = null)
{
    public const string Syncing = "syncing";
    public const string Queued = "queued";
    public const string Asking = "asking";
    public string Stage { get; } = stage;
    public string Message { get; } = message;
    public int? Position { get; } = position;
}

/// <summary>
/// One ask: optionally sync the project, POST /ask with the baseline, and read the NDJSON stream event by event as it
/// arrives (queued, accepted, then result or error). Cancelling closes the connection, which makes the agent drop the
/// request from its queue or stop the run.
/// </summary>
public static class AskRunner
{
    public static async Task<PatchwireAskResult> RunAsync(ClientSettings settings, string prompt, bool sync, Action<AskProgress> report, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.");
        var started = DateTime.UtcNow;
        using var client = new AgentClient(settings);
        var baseline = sync ? await SyncAsync(settings, client, report, cancellationToken).ConfigureAwait(false) : null;

        var body = new Dictionary<string, string> { ["prompt"] = prompt, ["project"] = settings.Project };
        if (baseline is not null) body["baseline"] = baseline;
        using var events = await AgentEventStream.PostAsync(client, "ask", body, cancellationToken).ConfigureAwait(false);

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

            switch (e.Type)
            {
                case EventTypes.Queued:
                    var position = (int)e.Number("position");
                    report(new AskProgress(AskProgress.Queued, $"Queued — position {position}…", position));
                    break;
                case EventTypes.Accepted:
                    queueWait = TimeSpan.FromMilliseconds(e.Number("queueWaitMs"));
                    report(new AskProgress(AskProgress.Asking, "Asking Patchwire…"));
                    break;
                case EventTypes.Result:
                    var result = JsonSerializer.Deserialize<ResultEvent>(e.Json.GetRawText(), ProtocolJson.Options)!;
                    return new PatchwireAskResult
                    {
                        Project = settings.Project,
                        ProjectRoot = settings.ProjectRoot,
                        Baseline = result.Baseline ?? baseline,
                        Diff = result.Diff ?? "",
                        Files = UnifiedDiff.Files(result.Diff ?? "").ToArray(),
                        ExitCode = result.ExitCode,
                        Duration = TimeSpan.FromMilliseconds(result.DurationMs),
                        QueueWait = queueWait,
                        Elapsed = DateTime.UtcNow - started,
                        Stdout = result.Stdout ?? "",
                        Stderr = result.Stderr ?? "",
                    };
                case EventTypes.Error:
                    var error = JsonSerializer.Deserialize<ErrorEvent>(e.Json.GetRawText(), ProtocolJson.Options)!;
                    throw new AskFailedException(error.Code ?? ErrorCodes.Internal, Explain(error.Code, error.Message));
            }
        }
    }

    /// <summary>Syncs the project before an ask or a chat turn, reporting each step; returns the baseline the agent now has.</summary>
    internal static async Task<string> SyncAsync(ClientSettings settings, AgentClient client, Action<AskProgress> report, CancellationToken cancellationToken)
    {
        report(new AskProgress(AskProgress.Syncing, "Syncing…"));
        var synced = await ProjectSync.SyncAsync(settings, client, new Progress(m => report(new AskProgress(AskProgress.Syncing, m))), cancellationToken).ConfigureAwait(false);
        return synced.Baseline;
    }

    private static string Explain(string? code, string? message) => code switch
    {
        ErrorCodes.RunFailed => $"The AI run failed on the agent (run_failed): {message}",
        ErrorCodes.DiffFailed => $"The agent could not compute the diff (diff_failed): {message}",
        _ => $"The agent reported an error ({code}): {message}",
    };

    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
