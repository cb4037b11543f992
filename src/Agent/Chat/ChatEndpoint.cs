using System.Text;
using System.Threading.Channels;
using Patchwire.Agent.Audit;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Usage;
using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Chat;

/// <summary>
/// POST /chat (SPEC §10): one turn of a session, through the same pre-flight, queue and executor as /ask (so the
/// checkout is restored after every turn), with the AI run in stream-json mode and resumed from the session's previous
/// turn. Stream: queued?, accepted, chat_turn_start, chat_text* as the AI writes, chat_diff?, then chat_done or error.
/// </summary>
public sealed class ChatEndpoint(
    AgentOptions options,
    CheckoutPreflight preflight,
    RunScheduler scheduler,
    RunExecutor executor,
    ChatSessionStore sessions,
    AuditLog audit,
    UsageMeter usage,
    IHostApplicationLifetime lifetime,
    ILogger<ChatEndpoint> log)
{
    /// <summary>What Claude Code needs to print its events as JSON lines; --verbose is required with --print.</summary>
    public static readonly IReadOnlyList<string> StreamJsonArgs = new[] { "--output-format", "stream-json", "--verbose" };

    public async Task HandleAsync(HttpContext context)
    {
        var user = context.GetCaller().Name;
        var (body, bodyProblem) = await RequestBody.ReadObjectAsync(context);
        if (bodyProblem is not null) { await bodyProblem.ExecuteAsync(context); return; }
        var (request, problem) = ChatRequest.From(body);
        if (problem is not null) { await problem.ExecuteAsync(context); return; }
        if (Encoding.UTF8.GetByteCount(request!.Prompt) > options.MaxPromptBytes)
        {
            await JsonErrors.Result(StatusCodes.Status413PayloadTooLarge, HttpErrors.PromptTooLarge, new { limitBytes = options.MaxPromptBytes }).ExecuteAsync(context);
            return;
        }
        var (target, targetProblem) = await preflight.CheckAsync(user, request.Project, request.Baseline);
        if (targetProblem is not null) { await targetProblem.ExecuteAsync(context); return; }

        var (session, refusal) = sessions.BeginTurn(user, request.Uuid, request.Project);
        if (refusal == TurnRefusal.InFlight)
        {
            await JsonErrors.Result(StatusCodes.Status409Conflict, HttpErrors.TurnInFlight,
                new { uuid = request.Uuid, hint = "This session already has a turn queued or running; wait for it to end." }).ExecuteAsync(context);
            return;
        }
        if (refusal == TurnRefusal.OtherProject)
        {
            await JsonErrors.Result(StatusCodes.Status409Conflict, HttpErrors.SessionOtherProject,
                new { uuid = request.Uuid, project = session!.Project, hint = "Start a new session (a new uuid) for this project." }).ExecuteAsync(context);
            return;
        }

        var turn = new Turn(request, target!, session!, session!.TurnCount + 1);
        try
        {
            await NdjsonResponse.StartAsync(context);
            await RunTurnAsync(context, user, turn);
        }
        finally
        {
            // Whatever path was taken, the session must not stay in flight: that would refuse every later turn with 409.
            if (!turn.Settled) sessions.FailTurn(user, request.Uuid, "The turn ended unexpectedly; its changes were discarded.", turn.ElapsedMs);
        }
    }

    private sealed class Turn(ChatRequest request, RunTarget target, ChatSession session, int index)
    {
        public ChatRequest Request { get; } = request;
        public RunTarget Target { get; } = target;
        public ChatSession Session { get; } = session;
        public int Index { get; } = index;
        public bool Settled { get; set; }
        public System.Diagnostics.Stopwatch Clock { get; } = new();
        public long ElapsedMs => (long)Clock.Elapsed.TotalMilliseconds;
    }

    private async Task RunTurnAsync(HttpContext context, string user, Turn turn)
    {
        var request = turn.Request;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        using var ticket = scheduler.Enter(user);
        var parser = new AiStreamParser();
        try
        {
            if (ticket.Position > 0) await NdjsonResponse.WriteEventAsync(context, new QueuedEvent { Position = ticket.Position });
            await ticket.WaitAsync(stop.Token);
            var queueWaitMs = (long)ticket.QueueWait.TotalMilliseconds;
            await NdjsonResponse.WriteEventAsync(context, new AcceptedEvent { QueueWaitMs = queueWaitMs });
            await NdjsonResponse.WriteEventAsync(context, new ChatTurnStartEvent { SessionId = request.Uuid, TurnIndex = turn.Index });
            turn.Clock.Start();

            // Checked again here, the last step before argv: agent-sessions.json may hold an id from an older agent.
            var resumed = ChatRequest.IsUuid(turn.Session.AiSessionId) ? turn.Session.AiSessionId : null;
            var args = new List<string>(StreamJsonArgs);
            if (resumed is not null) { args.Add("--resume"); args.Add(resumed); }

            // Lines arrive on the runner's reader thread; one consumer parses them and writes chat_text in order.
            var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var streaming = StreamTextAsync(context, lines.Reader, parser);
            RunResult result;
            try
            {
                result = await executor.ExecuteAsync(turn.Target.Checkout, turn.Target.Baseline, request.Prompt, turn.Target.VerifyClean, stop.Token,
                    new AiRunExtras(args, line => lines.Writer.TryWrite(line)));
            }
            finally
            {
                lines.Writer.TryComplete();
                await streaming;
            }
            turn.Clock.Stop();

            var failure = Failure(result, parser, resumed);
            if (failure is not null)
            {
                Fail(turn, user, failure, forgetAiSession: ForgetsSession(result, resumed));
                await NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = failure, Recoverable = true });
                return;
            }

            var durationMs = (long)result.Ai.Duration.TotalMilliseconds;
            if (result.Diff.Changes.Count > 0)
            {
                await NdjsonResponse.WriteEventAsync(context, new ChatDiffEvent
                {
                    Patch = result.Diff.Patch,
                    Files = result.Diff.Changes.Select(c => new FileChangeInfo
                    {
                        Path = c.Path, Status = c.Status, Additions = c.Additions, Deletions = c.Deletions, OldPath = c.OldPath,
                    }).ToList(),
                });
            }
            sessions.CompleteTurn(user, request.Uuid, parser.SessionId, parser.TokensIn, parser.TokensOut, durationMs);
            turn.Settled = true;
            await NdjsonResponse.WriteEventAsync(context, new ChatDoneEvent
            {
                TokensIn = parser.TokensIn,
                TokensOut = parser.TokensOut,
                DurationMs = durationMs,
                TurnIndex = turn.Index,
                Baseline = turn.Target.Baseline,
            });
            var entry = new AuditEntry
            {
                User = user,
                Project = request.Project,
                Route = AuditEntry.ChatRoute,
                PromptSha256 = AuditEntry.HashPrompt(request.Prompt),
                DurationMs = durationMs,
                QueueWaitMs = queueWaitMs,
                Uuid = request.Uuid,
                TokensIn = parser.TokensIn,
                TokensOut = parser.TokensOut,
            };
            usage.FillChat(entry, parser.ResultJson);
            audit.Append(entry);
        }
        catch (RunFailure failure)
        {
            // Timeout, an AI that cannot start, a diff that cannot be captured, a checkout that cannot be restored.
            var recoverable = failure.Code != ErrorCodes.Internal;
            Fail(turn, user, failure.Message);
            await NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = failure.Message, Recoverable = recoverable });
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            var clientGone = context.RequestAborted.IsCancellationRequested;
            var message = clientGone
                ? "The client went away; the turn was stopped and its changes discarded."
                : "The agent is shutting down; the turn was stopped and its changes discarded. Send it again once the agent is back.";
            Fail(turn, user, message);
            if (!clientGone)
                await NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = message, Recoverable = true });
        }
        catch (Exception ex)
        {
            log.LogError(ex, "/chat for {User}/{Project} failed", user, request.Project);
            const string message = "The agent hit an internal error; the checkout was restored. Details are in the agent's log.";
            Fail(turn, user, message);
            await NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = message, Recoverable = true });
        }
    }

    private void Fail(Turn turn, string user, string message, bool forgetAiSession = false)
    {
        sessions.FailTurn(user, turn.Request.Uuid, message, turn.ElapsedMs, forgetAiSession);
        turn.Settled = true;
    }

    private static async Task StreamTextAsync(HttpContext context, ChannelReader<string> lines, AiStreamParser parser)
    {
        await foreach (var line in lines.ReadAllAsync())
        {
            var chunk = parser.Feed(line);
            if (chunk is not null) await NdjsonResponse.WriteEventAsync(context, new ChatTextEvent { Chunk = chunk });
        }
    }

    /// <summary>Why a turn whose AI ran to the end still failed, or null when it succeeded.</summary>
    private static string? Failure(RunResult result, AiStreamParser parser, string? resumed)
    {
        if (result.Ai.ExitCode != 0)
        {
            var why = LastLines(result.Ai.Stderr);
            var text = $"The AI exited with code {result.Ai.ExitCode}" + (why.Length > 0 ? ": " + why : ".");
            if (ForgetsSession(result, resumed))
                text += " Its earlier conversation could not be resumed; the next turn starts a new one.";
            return text + " The turn's changes were discarded.";
        }
        if (parser.ResultIsError)
            return $"The AI reported an error ({parser.ResultSubtype ?? "error"})" + (parser.ResultText is { Length: > 0 } t ? ": " + t : ".") + " The turn's changes were discarded.";
        return null;
    }

    /// <summary>Claude Code's answer when the session it was asked to resume no longer exists (its history was cleared).</summary>
    private static bool ForgetsSession(RunResult result, string? resumed) =>
        resumed is not null && result.Ai.ExitCode != 0 && result.Ai.Stderr.Contains("No conversation found", StringComparison.OrdinalIgnoreCase);

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = string.Join(" ", lines.Skip(Math.Max(0, lines.Length - 5)));
        return tail.Length > 1000 ? tail.Substring(tail.Length - 1000) : tail;
    }
}
