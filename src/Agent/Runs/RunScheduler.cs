using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// The fair queue of SPEC §8, in memory: at most <see cref="GlobalCap"/> runs at once and <see cref="PerUserCap"/>
/// per user. Waiters are served in arrival order, except that a waiter whose user is at their cap lets the ones
/// behind it pass while keeping its place among its own user's requests. Positions are 1-based places in the
/// waiting list, the same numbers <see cref="Snapshot"/> reports.
/// </summary>
public sealed class RunScheduler
{
    private readonly object _gate = new();
    private readonly LinkedList<RunTicket> _waiting = new();
    private readonly LinkedList<RunTicket> _running = new();
    private readonly Dictionary<string, int> _runningPerUser = new(StringComparer.Ordinal);

    public RunScheduler(int globalCap, int perUserCap)
    {
        if (globalCap < 1) throw new ArgumentOutOfRangeException(nameof(globalCap));
        if (perUserCap < 1) throw new ArgumentOutOfRangeException(nameof(perUserCap));
        GlobalCap = globalCap;
        PerUserCap = perUserCap;
    }

    public int GlobalCap { get; }
    public int PerUserCap { get; }

    /// <summary>
    /// Joins the queue. The ticket either already holds a slot (<see cref="RunTicket.Position"/> 0) or waits at
    /// <see cref="RunTicket.Position"/>; await <see cref="RunTicket.WaitAsync"/> for the slot. Dispose the ticket in a
    /// finally block: it leaves the queue or frees the slot, whichever applies, exactly once.
    /// </summary>
    public RunTicket Enter(string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var ticket = new RunTicket(this, user);
        lock (_gate)
        {
            ticket.Node = _waiting.AddLast(ticket);
            Dispatch();
            ticket.Position = ticket.IsGranted ? 0 : _waiting.Count;
        }
        return ticket;
    }

    public QueueSnapshot Snapshot()
    {
        lock (_gate)
        {
            var snapshot = new QueueSnapshot { GlobalCap = GlobalCap, PerUserCap = PerUserCap };
            foreach (var running in _running) snapshot.InFlight.Add(running.User);
            var position = 0;
            foreach (var waiting in _waiting) snapshot.Queued.Add(new QueuedEntry { User = waiting.User, Position = ++position });
            return snapshot;
        }
    }

    public int RunningCount { get { lock (_gate) return _running.Count; } }
    public int WaitingCount { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Removes a waiting ticket (cancelled or disposed); returns false when it was no longer waiting.</summary>
    internal bool Withdraw(RunTicket ticket)
    {
        lock (_gate)
        {
            if (ticket.Node is null || ticket.Node.List != _waiting) return false;
            _waiting.Remove(ticket.Node);
            ticket.Node = null;
            // A waiter leaving can let others pass only if it blocked nobody, which it never does; no dispatch needed.
            return true;
        }
    }

    /// <summary>Frees a granted ticket's slot and hands it on.</summary>
    internal void Release(RunTicket ticket)
    {
        lock (_gate)
        {
            if (ticket.Node is null || ticket.Node.List != _running) return;
            _running.Remove(ticket.Node);
            ticket.Node = null;
            if (--_runningPerUser[ticket.User] == 0) _runningPerUser.Remove(ticket.User);
            Dispatch();
        }
    }

    /// <summary>Grants slots to waiters in arrival order, skipping users at their cap. Caller holds the lock.</summary>
    private void Dispatch()
    {
        var node = _waiting.First;
        while (node is not null && _running.Count < GlobalCap)
        {
            var next = node.Next;
            var ticket = node.Value;
            var userRunning = _runningPerUser.GetValueOrDefault(ticket.User);
            if (userRunning < PerUserCap)
            {
                _waiting.Remove(node);
                ticket.Node = _running.AddLast(ticket);
                _runningPerUser[ticket.User] = userRunning + 1;
                ticket.Grant();
            }
            node = next;
        }
    }
}
