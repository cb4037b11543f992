using System.Diagnostics;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
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
public static class ChatEndpoint
{
    /// <summary>What Claude Code needs to print its events as JSON lines; --verbose is required with --print.</summary>
    public static readonly IReadOnlyList<string> StreamJsonArgs = new[] { "--output-format", "stream-json", "--verbose" };

    public static async Task<Results<QueuedRunStream, JsonHttpResult<ApiError>>> HandleAsync(
        HttpContext context, ClaimsPrincipal caller, AgentOptions options, ChatOptions chat, CheckoutPreflight preflight, ChatSessionStore sessions, UsageMeter usage, QueuedRunFlow flow)
    {
        var user = caller.CallerName();
        if (!(await ChatRequest.ReadAsync(context, options.MaxPromptBytes)).TryGet(out var request, out var problem)) return problem;
        if (!(await preflight.CheckAsync(user, request.Project, request.Baseline)).TryGet(out var target, out problem)) return problem;

        var (session, refusal) = sessions.BeginTurn(user, request.Uuid, request.Project);
        return refusal switch
        {
            TurnRefusal.InFlight => ApiErrors.Conflict(new ApiError(HttpErrors.TurnInFlight)
            {
                Uuid = request.Uuid, Hint = "This session already has a turn queued or running; wait for it to end.",
            }),
            TurnRefusal.OtherProject => ApiErrors.Conflict(new ApiError(HttpErrors.SessionOtherProject)
            {
                Uuid = request.Uuid, Project = session!.Project, Hint = "Start a new session (a new uuid) for this project.",
            }),
            TurnRefusal.TooManySessions => new ApiError(HttpErrors.TooManySessions)
            {
                Uuid = request.Uuid,
                Hint = $"Each of your {chat.MaxSessionsPerUser} sessions (PW_MAX_SESSIONS_PER_USER) has a turn queued or running; wait for one to end, or continue one of them.",
            }.As(StatusCodes.Status429TooManyRequests),
            _ => flow.Stream(new ChatTurn(user, request, target, session!, sessions, usage, chat)),
        };
    }
}

/// <summary>
/// One /chat turn as a queued run. The session was marked in flight before the stream opened; every way the turn
/// ends settles it (done, or failed with its message), so a later turn is never refused with "turn in flight".
/// chat_turn_start goes out, as upstream's, once the AI has said its own session id (before any of its text), or
/// when the turn ends without one. What the AI writes is bounded (<see cref="ChatOptions"/>): a line, the reply text,
/// and the lines waiting for a slow client; past a bound the AI is stopped and the turn fails saying which.
/// </summary>
public sealed class ChatTurn(string user, ChatRequest request, RunTarget target, ChatSession session, ChatSessionStore sessions, UsageMeter usage, ChatOptions limits)
    : QueuedRun(user, request.Project, request.Prompt, target)
{
    private readonly AiStreamParser _parser = new();
    private readonly Stopwatch _clock = new();
    private bool _settled;
    private bool _turnStartSent;
    private long _pendingChars;
    private string? _overflow;

    public override string Route => AuditEntry.ChatRoute;

    /// <summary>As upstream counts: the turns this session completed before this one, so the first turn is 0.</summary>
    private int Index => session.TurnCount;

    /// <summary>
    /// The AI session to resume, checked again as the last step before argv: the store (or a file it was moved from) may hold an id from
    /// an older agent.
    /// </summary>
    private string? Resumed => ChatRequest.IsUuid(session.AiSessionId) ? session.AiSessionId : null;
    private long ElapsedMs => (long)_clock.Elapsed.TotalMilliseconds;

    public override Task OnAcceptedAsync(HttpContext context)
    {
        _clock.Start();
        return Task.CompletedTask;
    }

    public override async Task<RunResult> ExecuteAsync(RunExecutor executor, HttpContext context, CancellationToken cancellationToken)
    {
        var args = new List<string>(ChatEndpoint.StreamJsonArgs);
        if (Resumed is { } resumed) { args.Add("--resume"); args.Add(resumed); }

        // Lines arrive on the runner's reader thread; one consumer parses them and writes chat_text in order. The
        // channel is unbounded in lines but not in characters: the reader counts what waits and stops the turn past it.
        using var overflowStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var streaming = StreamTextAsync(context, lines.Reader, overflowStop);
        var extras = new AiRunExtras(args, line =>
        {
            if (_overflow is not null) return;
            if (Interlocked.Add(ref _pendingChars, line.Length) > limits.MaxPendingChars)
                Overflow(overflowStop, $"more than {limits.MaxPendingChars} characters of its output were waiting for the client to read them");
            else lines.Writer.TryWrite(line);
        })
        {
            MaxLineChars = limits.MaxLineChars,
            OnOverlongLine = () => Overflow(overflowStop, $"it wrote a line of more than {limits.MaxLineChars} characters without a newline"),
        };
        try
        {
            return await executor.ExecuteAsync(Target.Checkout, Target.Baseline, Prompt, Target.VerifyClean, overflowStop.Token, extras);
        }
        catch (OperationCanceledException) when (_overflow is not null && !cancellationToken.IsCancellationRequested)
        {
            throw new RunFailure(ErrorCodes.TurnFailed, OverflowMessage);
        }
        finally
        {
            lines.Writer.TryComplete();
            await streaming;
            _clock.Stop();
        }
    }

    private string OverflowMessage =>
        $"The AI's output went past the agent's limit: {_overflow}. The AI was stopped and the turn's changes discarded; ask for a shorter answer.";

    /// <summary>Records the first bound passed and stops the AI (off the reader's thread: cancelling runs callbacks).</summary>
    private void Overflow(CancellationTokenSource stop, string why)
    {
        if (Interlocked.CompareExchange(ref _overflow, why, null) is not null) return;
        _ = Task.Run(() => { try { stop.Cancel(); } catch (ObjectDisposedException) { } });
    }

    /// <summary>chat_turn_start, once: the AI's own session id when it gave one, else the one resumed (null on a first turn).</summary>
    private async Task SendTurnStartAsync(HttpContext context)
    {
        if (_turnStartSent) return;
        _turnStartSent = true;
        await NdjsonResponse.WriteEventAsync(context, new ChatTurnStartEvent { SessionId = _parser.SessionId ?? Resumed, TurnIndex = Index });
    }

    public override async Task<AuditEntry?> OnFinishedAsync(RunResult result, HttpContext context)
    {
        await SendTurnStartAsync(context);
        var resumed = Resumed;
        var failure = _overflow is not null ? OverflowMessage : Failure(result, resumed);
        if (failure is not null)
        {
            Fail(failure, forgetAiSession: ForgetsSession(result, resumed));
            await NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = failure, Recoverable = true });
            return null;
        }

        var durationMs = (long)result.Ai.Duration.TotalMilliseconds;
        if (result.Diff.Changes.Count > 0)
            await NdjsonResponse.WriteEventAsync(context, new ChatDiffEvent { Patch = result.Diff.Patch, Files = ChangesOf(result) });
        sessions.CompleteTurn(User, request.Uuid, _parser.SessionId, _parser.TokensIn, _parser.TokensOut, durationMs);
        _settled = true;
        await NdjsonResponse.WriteEventAsync(context, new ChatDoneEvent
        {
            TokensIn = _parser.TokensIn,
            TokensOut = _parser.TokensOut,
            DurationMs = durationMs,
            TurnIndex = Index,
            Baseline = Target.Baseline,
        });
        var entry = new AuditEntry { DurationMs = durationMs, Uuid = request.Uuid, TokensIn = _parser.TokensIn, TokensOut = _parser.TokensOut };
        usage.FillChat(entry, _parser.ResultJson);
        return entry;
    }

    public override async Task OnStoppedAsync(RunStop stop, HttpContext context)
    {
        // A RunFailure is a timeout, an AI that cannot start, a diff that cannot be captured, a checkout that cannot be restored.
        var (message, recoverable) = stop.Reason switch
        {
            RunStopReason.Failed => (stop.Failure!.Message, stop.Failure.Code != ErrorCodes.Internal),
            RunStopReason.ClientGone => ("The client went away; the turn was stopped and its changes discarded.", true),
            RunStopReason.AgentStopping => ("The agent is shutting down; the turn was stopped and its changes discarded. Send it again once the agent is back.", true),
            _ => ("The agent hit an internal error; the checkout was restored. Details are in the agent's log.", true),
        };
        Fail(message);
        if (stop.Reason != RunStopReason.ClientGone)
        {
            // A turn stopped while still queued never started.
            if (_clock.IsRunning || _clock.ElapsedTicks > 0) await SendTurnStartAsync(context);
            await NdjsonResponse.WriteEventAsync(context, new ErrorEvent
            {
                Code = stop.Reason == RunStopReason.AgentStopping ? ErrorCodes.AgentStopping : ErrorCodes.TurnFailed,
                Message = message,
                Recoverable = recoverable,
            });
        }
    }

    public override void OnClosed()
    {
        if (!_settled) Fail("The turn ended unexpectedly; its changes were discarded.");
    }

    private void Fail(string message, bool forgetAiSession = false)
    {
        sessions.FailTurn(User, request.Uuid, message, ElapsedMs, forgetAiSession);
        _settled = true;
    }

    private async Task StreamTextAsync(HttpContext context, ChannelReader<string> lines, CancellationTokenSource overflowStop)
    {
        await foreach (var line in lines.ReadAllAsync())
        {
            Interlocked.Add(ref _pendingChars, -line.Length);
            if (_overflow is not null) continue; // drained, not parsed: the turn fails
            var chunk = _parser.Feed(line);
            if (_parser.TextChars > limits.MaxReplyChars)
            {
                Overflow(overflowStop, $"its reply was longer than {limits.MaxReplyChars} characters");
                continue;
            }
            if (_parser.SessionId is not null || chunk is not null) await SendTurnStartAsync(context);
            if (chunk is not null) await NdjsonResponse.WriteEventAsync(context, new ChatTextEvent { Chunk = chunk });
        }
    }

    /// <summary>Why a turn whose AI ran to the end still failed, or null when it succeeded.</summary>
    private string? Failure(RunResult result, string? resumed)
    {
        if (result.Ai.ExitCode != 0)
        {
            var why = LastLines(result.Ai.Stderr);
            var text = $"The AI exited with code {result.Ai.ExitCode}" + (why.Length > 0 ? ": " + why : ".");
            if (ForgetsSession(result, resumed))
                text += " Its earlier conversation could not be resumed; the next turn starts a new one.";
            return text + " The turn's changes were discarded.";
        }
        if (_parser.ResultIsError)
            return $"The AI reported an error ({_parser.ResultSubtype ?? "error"})" + (_parser.ResultText is { Length: > 0 } t ? ": " + t : ".") + " The turn's changes were discarded.";
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
