using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Usage;
using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// POST /ask (SPEC §7): pre-flight failures as plain HTTP before any stream byte, then an NDJSON stream of
/// queued?, accepted, and one result or error, each flushed as it happens (<see cref="QueuedRunFlow"/>).
/// </summary>
public static class AskEndpoint
{
    public static async Task<Results<QueuedRunStream, JsonHttpResult<ApiError>>> HandleAsync(
        HttpContext context, ClaimsPrincipal caller, AgentOptions options, CheckoutPreflight preflight, UsageMeter usage, QueuedRunFlow flow)
    {
        var user = caller.CallerName();
        if (!(await AskRequest.ReadAsync(context, options.MaxPromptBytes)).TryGet(out var request, out var problem)) return problem;
        if (!(await preflight.CheckAsync(user, request.Project, request.Baseline)).TryGet(out var target, out problem)) return problem;
        return flow.Stream(new AskRun(user, request, target, usage));
    }
}

/// <summary>The body of POST /ask: {prompt, project, baseline?}.</summary>
public sealed record AskRequest(string Prompt, string Project, string? Baseline)
{
    public static async Task<Checked<AskRequest>> ReadAsync(HttpContext context, long maxPromptBytes)
    {
        if (!(await JsonBody.ReadAsync(context)).TryGet(out var body, out var problem)) return problem;
        var prompt = body.RequiredString("prompt");
        var project = body.RequiredString("project");
        var baseline = body.OptionalString("baseline");
        body.Require(PromptLimit.Fits(prompt, maxPromptBytes), () => PromptLimit.TooLarge(maxPromptBytes));
        if (body.Problem is { } bad) return bad;
        return new AskRequest(prompt, project, baseline);
    }
}

/// <summary>An /ask run: one result event with the diff and the AI's output, or one error event.</summary>
public sealed class AskRun(string user, AskRequest request, RunTarget target, UsageMeter usage) : QueuedRun(user, request.Project, request.Prompt, target)
{
    public override string Route => AuditEntry.AskRoute;

    public override async Task<AuditEntry?> OnFinishedAsync(RunResult result, HttpContext context)
    {
        var durationMs = (long)result.Ai.Duration.TotalMilliseconds;
        await NdjsonResponse.WriteEventAsync(context, new ResultEvent
        {
            Diff = "", // streamed from the captured bytes, up to PW_MAX_DIFF_BYTES
            Files = result.Diff.Changes.Select(c => c.Path).ToList(),
            Changes = ChangesOf(result),
            DurationMs = durationMs,
            Stdout = result.Ai.Stdout,
            Stderr = result.Ai.Stderr,
            ExitCode = result.Ai.ExitCode,
            Baseline = Target.Baseline,
            Verify = VerifyInfoOf(result.Verify),
        }, "diff", result.Diff.PatchBytes.Blocks());
        var entry = new AuditEntry
        {
            DurationMs = durationMs,
            Files = result.Diff.Changes.Count,
            LinesAdded = result.Diff.LinesAdded,
            LinesRemoved = result.Diff.LinesRemoved,
            ExitCode = result.Ai.ExitCode,
            VerifyPassed = result.Verify?.Passed,
        };
        usage.Fill(entry, result.Ai.Stdout);
        return entry;
    }

    /// <summary>A run whose diff could not be captured is still audited, with its error code: the AI ran, and spent what it spent.</summary>
    public override AuditEntry? AuditFailure(RunFailure failure)
    {
        if (failure.Ai is not { } ai) return null;
        var entry = new AuditEntry { DurationMs = (long)ai.Duration.TotalMilliseconds, ExitCode = ai.ExitCode, Error = failure.Code };
        usage.Fill(entry, ai.Stdout);
        return entry;
    }

    public override Task OnStoppedAsync(RunStop stop, HttpContext context) => stop.Reason switch
    {
        RunStopReason.Failed => Error(context, stop.Failure!.Code, stop.Failure.Message),
        RunStopReason.AgentStopping => Error(context, ErrorCodes.AgentStopping,
            "The agent is shutting down; the request was not run (or was stopped) and the checkout is as it was. Ask again once it is back."),
        RunStopReason.InternalError => Error(context, ErrorCodes.Internal,
            "The agent hit an internal error; the checkout was restored. Details are in the agent's log."),
        _ => Task.CompletedTask,
    };

    private static Task Error(HttpContext context, string code, string message) =>
        NdjsonResponse.WriteEventAsync(context, new ErrorEvent { Code = code, Message = message });
}
