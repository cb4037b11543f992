using System.Net.Http;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;

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
        var baseline = sync ? await AskRunner.SyncAsync(settings, client, report, cancellationToken).ConfigureAwait(false) : null;

        var body = new Dictionary<string, string> { ["uuid"] = session.ToString(), ["prompt"] = prompt, ["project"] = settings.Project };
        if (baseline is not null) body["baseline"] = baseline;
        using var events = await AgentEventStream.PostAsync(client, "chat", body, cancellationToken).ConfigureAwait(false);

        var turn = new PatchwireChatTurn { SessionId = session, Project = settings.Project, ProjectRoot = settings.ProjectRoot, Baseline = baseline };
        var text = new System.Text.StringBuilder();
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
                throw new ChatTurnFailedException("connection_lost", $"The connection to the agent at {settings.AgentUrl} broke before the turn ended ({ex.Message}). The agent may have restarted; send the turn again.", true);
            }
            catch (InvalidDataException ex)
            {
                throw NotAChatEvent(ex.Message);
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (e is null)
                throw new ChatTurnFailedException("connection_lost", $"The agent at {settings.AgentUrl} closed the stream before the turn ended (it may have restarted). Send the turn again.", true);
            if (e.Type is null)
                throw NotAChatEvent("An event without a type: " + AgentEventStream.Shorten(e.Json.GetRawText()));

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

        ChatTurnFailedException NotAChatEvent(string what) =>
            new("bad_stream", $"The agent sent something that is not a chat event ({what}); is {settings.AgentUrl} really a Patchwire agent?", false);
    }
}
