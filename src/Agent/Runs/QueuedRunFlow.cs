using Patchwire.Agent.Audit;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Hosting;
using Patchwire.Agent.Http;
using Patchwire.Agent.Metrics;
using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// The one sequence of POST /ask and POST /chat once their pre-flight has passed (SPEC §7, §8, §10): open the NDJSON
/// stream, join the fair queue (a queued event while waiting), accepted, run the AI in the checkout, the run's
/// closing events, the audit line. A run that stops early ends in its error event; the queue slot is always freed.
/// </summary>
public sealed class QueuedRunFlow(
    RunScheduler scheduler,
    RunExecutor executor,
    AuditLog audit,
    GracefulStop shutdown,
    AgentOptions options,
    AgentMetrics metrics,
    ILogger<QueuedRunFlow> log)
{
    /// <summary>The run as an endpoint's answer: it starts when the framework executes the result.</summary>
    public QueuedRunStream Stream(QueuedRun run) => new(this, run);

    public async Task RunAsync(HttpContext context, QueuedRun run)
    {
        try
        {
            await NdjsonResponse.StartAsync(context);
            // Waiting ends when the client goes or the agent begins to stop; a running AI gets PW_STOP_GRACE_SEC more.
            using var waitStop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown.Stopping);
            using var runStop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown.RunsMustStop);
            using var keepAliveStop = new CancellationTokenSource();
            var keepAlive = NdjsonResponse.KeepAliveAsync(context, options.KeepAlive, keepAliveStop.Token);
            using var ticket = scheduler.Enter(run.User);
            var stop = waitStop;
            RunMeasurement? measured = null;
            try
            {
                if (ticket.Position > 0) await NdjsonResponse.WriteEventAsync(context, new QueuedEvent { Position = ticket.Position });
                await ticket.WaitAsync(waitStop.Token);
                // A request that got a slot while the agent was already stopping does not start.
                waitStop.Token.ThrowIfCancellationRequested();
                stop = runStop;
                measured = metrics.RunStarted(context, ticket.QueueWait);
                var queueWaitMs = (long)ticket.QueueWait.TotalMilliseconds;
                await NdjsonResponse.WriteEventAsync(context, new AcceptedEvent { QueueWaitMs = queueWaitMs });
                await run.OnAcceptedAsync(context);

                var result = await run.ExecuteAsync(executor, context, runStop.Token);
                var entry = await run.OnFinishedAsync(result, context);
                measured.End(entry is null ? RunOutcome.Failed : RunOutcome.Finished);
                if (entry is not null)
                {
                    entry.User = run.User;
                    entry.Project = run.Project;
                    entry.Route = run.Route;
                    entry.PromptSha256 = AuditEntry.HashPrompt(run.Prompt);
                    entry.QueueWaitMs = queueWaitMs;
                    audit.Append(entry);
                }
            }
            catch (RunFailure failure)
            {
                measured?.End(RunOutcome.Failed);
                await run.OnStoppedAsync(new RunStop(RunStopReason.Failed, failure), context);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                var reason = context.RequestAborted.IsCancellationRequested ? RunStopReason.ClientGone : RunStopReason.AgentStopping;
                measured?.End(reason);
                await run.OnStoppedAsync(new RunStop(reason), context);
            }
            catch (Exception ex)
            {
                log.LogError(ex, "{Route} for {User}/{Project} failed", run.Route, run.User, run.Project);
                measured?.End(RunOutcome.Failed);
                await run.OnStoppedAsync(new RunStop(RunStopReason.InternalError), context);
            }
            finally
            {
                keepAliveStop.Cancel();
                await keepAlive;
            }
        }
        finally
        {
            run.OnClosed();
        }
    }
}

/// <summary>An endpoint's answer that streams a <see cref="QueuedRun"/> through <see cref="QueuedRunFlow"/>.</summary>
public sealed class QueuedRunStream(QueuedRunFlow flow, QueuedRun run) : IResult
{
    public QueuedRun Run { get; } = run;

    public Task ExecuteAsync(HttpContext httpContext) => flow.RunAsync(httpContext, Run);
}
