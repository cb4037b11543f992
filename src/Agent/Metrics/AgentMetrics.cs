using System.Diagnostics;
using System.Diagnostics.Metrics;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Runs;
using Patchwire.Core.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Metrics;

/// <summary>
/// The agent's instruments (issue 11, item 5), on one <see cref="Meter"/> that the Prometheus exporter reads
/// (<see cref="MetricsModule"/>). Services call the methods here; none of them names an instrument.
/// Labels take values from small fixed sets only (route, outcome, sync kind, user state): never a user, project,
/// prompt, path or token, so the number of series stays the same however many users and projects there are.
/// </summary>
public sealed class AgentMetrics
{
    public const string MeterName = "Patchwire.Agent";

    /// <summary>The route label: the three ways a run reaches the queue. Detached runs are /ask runs started by POST /runs.</summary>
    public const string AskRoute = Routes.Ask, ChatRoute = Routes.Chat, RunsRoute = Routes.Runs;
    /// <summary>The reason label of a cancelled run.</summary>
    public const string ClientGoneReason = "client_gone", AgentStoppingReason = "agent_stopping";

    // Runs take seconds to the PW_TIMEOUT_SEC default of 600 s and beyond; waits are 0 when the box is idle.
    private static readonly double[] RunSeconds = { 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600 };
    private static readonly double[] WaitSeconds = { 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800 };
    // A no-change sync is tens of milliseconds; a first sync of a large tree, seconds to minutes.
    private static readonly double[] SyncSeconds = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300 };

    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _cancelled;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _syncBytes;
    private readonly Histogram<double> _syncDuration;

    public AgentMetrics(IMeterFactory meters, RunScheduler scheduler, UserDirectory users)
    {
        var meter = meters.Create(MeterName, Health.HealthEndpoints.Version);
        _started = meter.CreateCounter<long>("patchwire.runs.started", "{run}",
            "Runs that got a slot and started, by route (ask, chat, runs = detached).");
        _finished = meter.CreateCounter<long>("patchwire.runs.finished", "{run}",
            "Runs that ended with their result (a result event or chat_done; a non-zero AI exit included), by route.");
        _failed = meter.CreateCounter<long>("patchwire.runs.failed", "{run}",
            "Runs that ended with an error event (run_failed, diff_failed, turn_failed, internal), by route.");
        _cancelled = meter.CreateCounter<long>("patchwire.runs.cancelled", "{run}",
            "Runs stopped after they started because the client went away (or DELETE /runs/{id}) or the agent was stopping, by route and reason.");
        _runDuration = meter.CreateHistogram("patchwire.run.duration", "s",
            "Time from a run's start (slot granted) to its end, checkout restored, by route and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RunSeconds });
        _queueWait = meter.CreateHistogram("patchwire.queue.wait", "s",
            "Time a run waited in the fair queue before its slot, by route (runs that left the queue before a slot are not in it).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitSeconds });
        meter.CreateObservableGauge("patchwire.queue.depth", () => scheduler.WaitingCount, "{request}",
            "Requests waiting in the fair queue now.");
        meter.CreateObservableGauge("patchwire.runs.in_flight", () => scheduler.RunningCount, "{run}",
            "Runs holding a slot now (at most PW_MAX_CONCURRENT_TOTAL).");
        _syncBytes = meter.CreateCounter<long>("patchwire.sync.received", "By",
            "Bundle bytes received by syncs that checked out their snapshot, by kind (full or incremental).");
        _syncDuration = meter.CreateHistogram("patchwire.sync.duration", "s",
            "Time a sync that checked out its snapshot took on the agent (receive, index, check out), by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SyncSeconds });
        meter.CreateObservableGauge("patchwire.registry.users", () => RegistryUsers(users), "{user}",
            "Users in the registry (users.json), by state (enabled or disabled).");

        // Every run counter's series exists from the start at 0, so a rate over the first run is not lost.
        foreach (var name in new[] { AskRoute, ChatRoute, RunsRoute })
        {
            var route = new KeyValuePair<string, object?>("route", name);
            _started.Add(0, route);
            _finished.Add(0, route);
            _failed.Add(0, route);
            foreach (var reason in new[] { ClientGoneReason, AgentStoppingReason })
                _cancelled.Add(0, route, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>
    /// A run got its slot after waiting <paramref name="queueWait"/>: counts it as started and returns the measurement
    /// to end once with its outcome. The route is read from the request path (/ask, /chat, or /runs for a detached run).
    /// </summary>
    public RunMeasurement RunStarted(HttpContext context, TimeSpan queueWait)
    {
        var route = new KeyValuePair<string, object?>("route", RouteOf(context.Request.Path));
        _started.Add(1, route);
        _queueWait.Record(queueWait.TotalSeconds, route);
        return new RunMeasurement(this, route);
    }

    /// <summary>A sync checked out its snapshot: <paramref name="bytes"/> of bundle received in <paramref name="duration"/>.</summary>
    public void SyncReceived(bool incremental, long bytes, TimeSpan duration)
    {
        var kind = new KeyValuePair<string, object?>("kind", incremental ? "incremental" : "full");
        _syncBytes.Add(bytes, kind);
        _syncDuration.Record(duration.TotalSeconds, kind);
    }

    /// <summary>ask, chat or runs; anything else (no route runs the queue from elsewhere today) is "other", never the raw path.</summary>
    internal static string RouteOf(PathString path)
    {
        var value = path.Value ?? "";
        var segment = value.TrimStart('/');
        var slash = segment.IndexOf('/');
        if (slash >= 0) segment = segment[..slash];
        return segment switch
        {
            AskRoute => AskRoute,
            ChatRoute => ChatRoute,
            RunsRoute => RunsRoute,
            _ => "other",
        };
    }

    internal void Ended(KeyValuePair<string, object?> route, RunOutcome outcome, string? reason, TimeSpan duration)
    {
        var outcomeLabel = new KeyValuePair<string, object?>("outcome", outcome switch
        {
            RunOutcome.Finished => "finished",
            RunOutcome.Failed => "failed",
            _ => "cancelled",
        });
        switch (outcome)
        {
            case RunOutcome.Finished: _finished.Add(1, route); break;
            case RunOutcome.Failed: _failed.Add(1, route); break;
            default: _cancelled.Add(1, route, new KeyValuePair<string, object?>("reason", reason)); break;
        }
        _runDuration.Record(duration.TotalSeconds, route, outcomeLabel);
    }

    private static IEnumerable<Measurement<int>> RegistryUsers(UserDirectory users)
    {
        IReadOnlyCollection<UserRecord> all;
        try { all = users.LoadNow(); }
        catch (RegistryException) { return Array.Empty<Measurement<int>>(); } // unreadable at start: no figure rather than a wrong one
        var disabled = all.Count(u => u.Disabled);
        return new[]
        {
            new Measurement<int>(all.Count - disabled, new KeyValuePair<string, object?>("state", "enabled")),
            new Measurement<int>(disabled, new KeyValuePair<string, object?>("state", "disabled")),
        };
    }
}

public enum RunOutcome
{
    /// <summary>The run's result reached the client (a non-zero AI exit included).</summary>
    Finished,
    /// <summary>The run ended in an error event.</summary>
    Failed,
    /// <summary>The client went away (or cancelled a detached run).</summary>
    ClientGone,
    /// <summary>The agent was stopping.</summary>
    AgentStopping,
}

/// <summary>One started run, ended once with its outcome (later calls are ignored, so every exit path may call it).</summary>
public sealed class RunMeasurement
{
    private readonly AgentMetrics _metrics;
    private readonly KeyValuePair<string, object?> _route;
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _ended;

    internal RunMeasurement(AgentMetrics metrics, KeyValuePair<string, object?> route)
    {
        _metrics = metrics;
        _route = route;
    }

    public void End(RunOutcome outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        var reason = outcome switch
        {
            RunOutcome.ClientGone => AgentMetrics.ClientGoneReason,
            RunOutcome.AgentStopping => AgentMetrics.AgentStoppingReason,
            _ => null,
        };
        _metrics.Ended(_route, outcome, reason, Stopwatch.GetElapsedTime(_start));
    }

    /// <summary>The outcome of a run that stopped early, as <see cref="QueuedRunFlow"/> tells it.</summary>
    public void End(RunStopReason reason) => End(reason switch
    {
        RunStopReason.ClientGone => RunOutcome.ClientGone,
        RunStopReason.AgentStopping => RunOutcome.AgentStopping,
        _ => RunOutcome.Failed,
    });
}
