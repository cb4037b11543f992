using System.Net.Http;
using Patchwire.Core.Protocol;
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
        Action<RunProgress> report, Action<string> onText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.");
        using var client = new AgentClient(settings);
        var baseline = sync ? await ProjectSync.SyncForRunAsync(settings, client, prompt, report, cancellationToken).ConfigureAwait(false) : null;

        var body = new ChatRequestBody { Uuid = session.ToString(), Prompt = prompt, Project = settings.Project, Baseline = baseline };
        using var events = await AgentEventStream.PostAsync(client, Routes.Chat, body, cancellationToken).ConfigureAwait(false);

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

            try
            {
                switch (e.Type)
                {
                    case EventTypes.Queued:
                        var position = e.As<QueuedEvent>().Position;
                        report(new RunProgress(RunProgress.Queued, $"Queued — position {position}…", position));
                        break;
                    case EventTypes.Accepted:
                        turn.QueueWait = TimeSpan.FromMilliseconds(e.As<AcceptedEvent>().QueueWaitMs);
                        report(new RunProgress(RunProgress.Asking, "Asking Patchwire…"));
                        break;
                    case EventTypes.ChatTurnStart:
                        // The wire counts as upstream does, from 0; the object counts turns from 1, as 'patchwire chat' prints them.
                        turn.TurnIndex = e.As<ChatTurnStartEvent>().TurnIndex + 1;
                        break;
                    case EventTypes.ChatText:
                        var chunk = e.As<ChatTextEvent>().Chunk;
                        if (!string.IsNullOrEmpty(chunk))
                        {
                            text.Append(chunk);
                            onText(chunk);
                        }
                        break;
                    case EventTypes.ChatDiff:
                        var diff = e.As<ChatDiffEvent>();
                        turn.Patch = diff.Patch ?? "";
                        turn.Files = FileChanges.From(diff.Files, turn.Patch);
                        break;
                    case EventTypes.ChatDone:
                        var done = e.As<ChatDoneEvent>();
                        turn.Text = text.ToString();
                        turn.TokensIn = done.TokensIn;
                        turn.TokensOut = done.TokensOut;
                        turn.Duration = TimeSpan.FromMilliseconds(done.DurationMs);
                        if (done.Baseline is { } b) turn.Baseline = b;
                        return turn;
                    case EventTypes.Error:
                        var error = e.As<ErrorEvent>();
                        var code = error.Code ?? ErrorCodes.Internal;
                        throw new ChatTurnFailedException(code, $"The turn failed on the agent ({code}): {error.Message}", error.Recoverable != false);
                }
            }
            catch (InvalidDataException ex)
            {
                throw NotAChatEvent(ex.Message);
            }
        }

        ChatTurnFailedException NotAChatEvent(string what) =>
            new("bad_stream", $"The agent sent something that is not a chat event ({what}); is {settings.AgentUrl} really a Patchwire agent?", false);
    }
}
