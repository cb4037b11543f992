using System.Net.Http;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Chat;

/// <summary>
/// One chat turn from the laptop: optionally sync the project, POST /chat with the session uuid and the baseline, and
/// read the stream as it arrives: progress (queued, accepted), the reply text chunk by chunk, the diff, and the done or
/// error event. Cancelling closes the connection, which makes the agent drop the turn from its queue or stop the AI.
/// </summary>
public static class ChatTurnRunner
{
    public static async Task<PatchwireChatTurn> RunAsync(
        ClientSettings settings, Guid session, string prompt, bool sync,
        Action<AskProgress> report, Action<string> onText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.");
        using var client = new AgentClient(settings);
        string? baseline = null;
        if (sync)
        {
            report(new AskProgress(AskProgress.Syncing, "Syncing…"));
            var synced = await ProjectSync.SyncAsync(settings, client, new Progress(m => report(new AskProgress(AskProgress.Syncing, m))), cancellationToken).ConfigureAwait(false);
            baseline = synced.Baseline;
        }

        var body = new Dictionary<string, string> { ["uuid"] = session.ToString(), ["prompt"] = prompt, ["project"] = settings.Project };
        if (baseline is not null) body["baseline"] = baseline;
        var request = new HttpRequestMessage(HttpMethod.Post, "chat") { Content = AgentClient.Json(body) };
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        // ReadLineAsync has no token on netstandard2.0: disposing the response aborts a read that is waiting.
        using var abort = cancellationToken.Register(() => response.Dispose());
        using var reader = new ChatEventReader(stream);

        var turn = new PatchwireChatTurn { SessionId = session, Project = settings.Project, ProjectRoot = settings.ProjectRoot, Baseline = baseline };
        var text = new System.Text.StringBuilder();
        while (true)
        {
            ChatEvent? e;
            try
            {
                e = await reader.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new ChatTurnFailedException("connection_lost", $"The connection to the agent at {settings.AgentUrl} broke before the turn ended ({ex.Message}). The agent may have restarted; send the turn again.", true);
            }
            catch (InvalidDataException ex)
            {
                throw new ChatTurnFailedException("bad_stream", $"The agent sent something that is not a chat event ({ex.Message}); is {settings.AgentUrl} really a Patchwire agent?", false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (e is null)
                throw new ChatTurnFailedException("connection_lost", $"The agent at {settings.AgentUrl} closed the stream before the turn ended (it may have restarted). Send the turn again.", true);

            switch (e.Type)
            {
                case EventTypes.Queued:
                    var position = (int)e.Number("position");
                    report(new AskProgress(AskProgress.Queued, $"Queued — position {position}…", position));
                    break;
                case EventTypes.Accepted:
                    turn.QueueWait = TimeSpan.FromMilliseconds(e.Number("queueWaitMs"));
                    report(new AskProgress(AskProgress.Asking, "Asking Patchwire…"));
                    break;
                case EventTypes.ChatTurnStart:
                    turn.TurnIndex = (int)e.Number("turnIndex");
                    break;
                case EventTypes.ChatText:
                    var chunk = e.String("chunk");
                    if (!string.IsNullOrEmpty(chunk))
                    {
                        text.Append(chunk);
                        onText(chunk!);
                    }
                    break;
                case EventTypes.ChatDiff:
                    turn.Patch = e.String("patch") ?? "";
                    turn.Files = UnifiedDiff.Files(turn.Patch).ToArray();
                    break;
                case EventTypes.ChatDone:
                    turn.Text = text.ToString();
                    turn.TokensIn = e.Number("tokensIn");
                    turn.TokensOut = e.Number("tokensOut");
                    turn.Duration = TimeSpan.FromMilliseconds(e.Number("durationMs"));
                    if (e.String("baseline") is { } b) turn.Baseline = b;
                    return turn;
                case EventTypes.Error:
                    var code = e.String("code") ?? ErrorCodes.Internal;
                    var recoverable = !e.Json.TryGetProperty("recoverable", out var r) || r.ValueKind != System.Text.Json.JsonValueKind.False;
                    throw new ChatTurnFailedException(code, $"The turn failed on the agent ({code}): {e.String("message")}", recoverable);
            }
        }
    }

    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
