using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Patchwire.Agent.Audit;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Usage;
using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// POST /ask (SPEC §7): pre-flight failures as plain HTTP before any stream byte, then an NDJSON stream of
/// queued?, accepted, and one result or error, each flushed as it happens.
/// </summary>
public sealed class AskEndpoint(
    AgentOptions options,
    CheckoutPreflight preflight,
    RunScheduler scheduler,
    RunExecutor executor,
    AuditLog audit,
    UsageMeter usage,
    IHostApplicationLifetime lifetime,
    ILogger<AskEndpoint> log)
{
    public async Task HandleAsync(HttpContext context)
    {
        var user = context.GetCaller().Name;
        var (request, problem) = await ReadRequestAsync(context, user);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context);
            return;
        }
        var (prompt, project, checkout, baseline, verifyClean) = request!.Value;

        await NdjsonResponse.StartAsync(context);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        using var ticket = scheduler.Enter(user);
        try
        {
            if (ticket.Position > 0) await WriteEventAsync(context, new QueuedEvent { Position = ticket.Position });
            await ticket.WaitAsync(stop.Token);
            var queueWaitMs = (long)ticket.QueueWait.TotalMilliseconds;
            await WriteEventAsync(context, new AcceptedEvent { QueueWaitMs = queueWaitMs });

            var result = await executor.ExecuteAsync(checkout, baseline, prompt, verifyClean, stop.Token);
            await WriteEventAsync(context, new ResultEvent
            {
                Diff = result.Diff.Patch,
                Files = result.Diff.Changes.Select(c => c.Path).ToList(),
                Changes = result.Diff.Changes.Select(c => new FileChangeInfo
                {
                    Path = c.Path, Status = c.Status, Additions = c.Additions, Deletions = c.Deletions, OldPath = c.OldPath,
                }).ToList(),
                DurationMs = (long)result.Ai.Duration.TotalMilliseconds,
                Stdout = result.Ai.Stdout,
                Stderr = result.Ai.Stderr,
                ExitCode = result.Ai.ExitCode,
                Baseline = baseline,
            });
            var entry = new AuditEntry
            {
                Timestamp = DateTimeOffset.UtcNow,
                User = user,
                Project = project,
                Route = AuditEntry.AskRoute,
                PromptSha256 = AuditEntry.HashPrompt(prompt),
                DurationMs = (long)result.Ai.Duration.TotalMilliseconds,
                QueueWaitMs = queueWaitMs,
                Files = result.Diff.Changes.Count,
                LinesAdded = result.Diff.LinesAdded,
                LinesRemoved = result.Diff.LinesRemoved,
                ExitCode = result.Ai.ExitCode,
            };
            usage.Fill(entry, result.Ai.Stdout);
            audit.Append(entry);
        }
        catch (RunFailure failure)
        {
            await WriteEventAsync(context, new ErrorEvent { Code = failure.Code, Message = failure.Message });
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (!context.RequestAborted.IsCancellationRequested)
                await WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.Internal, Message = "The agent is shutting down; the run was stopped and the checkout restored. Ask again once it is back." });
        }
        catch (Exception ex)
        {
            log.LogError(ex, "/ask for {User}/{Project} failed", user, project);
            await WriteEventAsync(context, new ErrorEvent { Code = ErrorCodes.Internal, Message = "The agent hit an internal error; the checkout was restored. Details are in the agent's log." });
        }
    }

    internal async Task<((string Prompt, string Project, string Checkout, string? Baseline, bool VerifyClean)? Request, IResult? Problem)> ReadRequestAsync(HttpContext context, string user)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context);
        if (error is not null) return (null, error);
        var problem = RequestBody.RequireString(body, "prompt", out var prompt);
        if (problem is not null) return (null, problem);
        problem = RequestBody.RequireString(body, "project", out var project);
        if (problem is not null) return (null, problem);
        problem = RequestBody.OptionalString(body, "baseline", out var baseline);
        if (problem is not null) return (null, problem);
        if (Encoding.UTF8.GetByteCount(prompt) > options.MaxPromptBytes)
            return (null, JsonErrors.Result(StatusCodes.Status413PayloadTooLarge, "prompt too large", new { limitBytes = options.MaxPromptBytes }));

        var (target, targetProblem) = await preflight.CheckAsync(user, project, baseline);
        if (targetProblem is not null) return (null, targetProblem);
        return ((prompt, project, target!.Checkout, target.Baseline, target.VerifyClean), null);
    }

    private static Task WriteEventAsync<T>(HttpContext context, T payload) => NdjsonResponse.WriteEventAsync(context, payload);
}
