using Patchwire.Agent.Configuration;
using Patchwire.Agent.Runs;

namespace Patchwire.Agent.Hosting;

/// <summary>
/// The agent's stop (SIGTERM, Ctrl+C, a service stop): once the host says it is stopping, Kestrel takes no new
/// connections, queued requests leave the queue at once (their clients get <c>agent_stopping</c>), and running runs
/// get PW_STOP_GRACE_SEC to finish before <see cref="RunsMustStop"/> fires, which kills them and restores their
/// checkouts. The host waits for all of it (its shutdown timeout is the grace plus time to restore), then the
/// last-seen times are flushed and the process exits 0 with nothing left for crash recovery.
/// </summary>
public sealed class GracefulStop : IDisposable
{
    /// <summary>Time on top of the grace for killing runs, restoring checkouts and closing streams.</summary>
    public static readonly TimeSpan RestoreAllowance = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _runsMustStop = new();

    public GracefulStop(IHostApplicationLifetime lifetime, AgentOptions options, RunScheduler scheduler, ILogger<GracefulStop> log)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            var running = scheduler.RunningCount;
            var queued = scheduler.WaitingCount;
            log.LogInformation("Stopping: {Queued} queued request(s) told agent_stopping; {Running} running run(s) get up to {Grace} s (PW_STOP_GRACE_SEC)",
                queued, running, (int)options.StopGrace.TotalSeconds);
            _stopping.Cancel(); // after counting: the queued requests leave the queue on this
            if (options.StopGrace <= TimeSpan.Zero) _runsMustStop.Cancel();
            else _runsMustStop.CancelAfter(options.StopGrace);
        });
    }

    /// <summary>Fires as soon as the agent begins to stop: waiting requests give up their place.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Fires PW_STOP_GRACE_SEC after the stop began: running runs are killed and their checkouts restored.</summary>
    public CancellationToken RunsMustStop => _runsMustStop.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        _runsMustStop.Dispose();
    }
}
