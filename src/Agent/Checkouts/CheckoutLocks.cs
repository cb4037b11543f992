using System.Collections.Concurrent;

namespace Patchwire.Agent.Checkouts;

/// <summary>
/// One holder at a time per checkout folder: a run, a chat turn or a sync. The per-user cap alone does not
/// guarantee this (a cap of 2 lets two requests for the same project in), and two writers in one tree would corrupt each other.
/// Paths are keyed as the file system compares them (<see cref="NamePlatforms.NameComparer"/>): on Windows and macOS
/// 'App' and 'app' are one folder, so they are one lock.
/// </summary>
public sealed class CheckoutLocks(NamePlatform platform)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(platform.NameComparer());

    public async Task<IDisposable> AcquireAsync(string checkoutPath, CancellationToken cancellationToken)
    {
        var key = Path.GetFullPath(checkoutPath);
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(gate);
    }

    public bool IsHeld(string checkoutPath) =>
        _locks.TryGetValue(Path.GetFullPath(checkoutPath), out var gate) && gate.CurrentCount == 0;

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
