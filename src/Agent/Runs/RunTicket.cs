using System.Diagnostics;

namespace Patchwire.Agent.Runs;

/// <summary>One request's place in the <see cref="RunScheduler"/>: waiting, then holding a slot, then released.</summary>
public sealed class RunTicket : IDisposable
{
    private readonly RunScheduler _scheduler;
    private readonly TaskCompletionSource _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _wait = Stopwatch.StartNew();
    private int _disposed;

    internal RunTicket(RunScheduler scheduler, string user)
    {
        _scheduler = scheduler;
        User = user;
    }

    public string User { get; }

    /// <summary>1-based place in the waiting list when the request entered; 0 when it got a slot at once.</summary>
    public int Position { get; internal set; }

    public bool IsGranted => _granted.Task.IsCompletedSuccessfully;

    /// <summary>How long the request waited for its slot (final once granted).</summary>
    public TimeSpan QueueWait => _wait.Elapsed;

    internal LinkedListNode<RunTicket>? Node { get; set; }

    internal void Grant()
    {
        _wait.Stop();
        _granted.TrySetResult();
    }

    /// <summary>Waits for the slot. Cancelling removes the ticket from the queue (a slot granted meanwhile is kept until Dispose).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_granted.Task.IsCompleted) return;
        using (cancellationToken.Register(() =>
               {
                   if (_scheduler.Withdraw(this)) _granted.TrySetCanceled(cancellationToken);
               }))
        {
            await _granted.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Leaves the queue or frees the slot. Safe to call more than once, from any path.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_scheduler.Withdraw(this))
        {
            _granted.TrySetCanceled();
            return;
        }
        _scheduler.Release(this);
    }
}
