using System.Collections.Concurrent;
using System.Management.Automation;

namespace Patchwire.PowerShell.Common;

/// <summary>
/// The one way the module runs asynchronous work from a cmdlet (and from the CLI verbs, which run inside a cmdlet).
/// The work runs on the thread pool while the pipeline thread executes what it posts (Write-Progress, host messages:
/// PowerShell accepts those only from the thread running the cmdlet). StopProcessing (Ctrl+C, PowerShell.Stop())
/// cancels the token given to the work; the bridge then waits for the work to notice and throws
/// <see cref="PipelineStoppedException"/>.
/// </summary>
internal sealed class AsyncBridge(CancellationToken stopping)
{
    private static readonly TimeSpan GiveUpAfterStop = TimeSpan.FromSeconds(15);
    private BlockingCollection<Action>? _actions;

    /// <summary>Queues an action for the pipeline thread; ignored when no work is running.</summary>
    public void Post(Action action)
    {
        var actions = _actions;
        if (actions is null) return;
        try { actions.Add(action); }
        catch (InvalidOperationException) { }
    }

    /// <summary>
    /// Runs <paramref name="work"/> and returns its result or rethrows its exception. <paramref name="onIdle"/> runs on the
    /// pipeline thread whenever nothing was posted for <paramref name="idleInterval"/> (to re-draw progress, which the
    /// console host throttles and would otherwise leave stale).
    /// </summary>
    public T Run<T>(Func<CancellationToken, Task<T>> work, Action? onIdle = null, TimeSpan? idleInterval = null)
    {
        if (stopping.IsCancellationRequested) throw new PipelineStoppedException();
        var actions = new BlockingCollection<Action>();
        var previous = _actions;
        _actions = actions;
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var task = Task.Run(() => work(cancel.Token));
        task.ContinueWith(_ => actions.CompleteAdding(), TaskScheduler.Default);
        var idleMs = onIdle is null ? Timeout.Infinite : (int)(idleInterval ?? TimeSpan.FromMilliseconds(500)).TotalMilliseconds;
        try
        {
            while (!actions.IsCompleted)
            {
                Action? action;
                try
                {
                    if (!actions.TryTake(out action, idleMs, stopping))
                    {
                        if (!actions.IsCompleted) onIdle?.Invoke();
                        continue;
                    }
                }
                catch (OperationCanceledException) { break; }
                action();
            }
        }
        catch
        {
            cancel.Cancel();
            Settle(task);
            throw;
        }
        finally
        {
            _actions = previous;
        }
        if (stopping.IsCancellationRequested)
        {
            cancel.Cancel();
            Settle(task);
            throw new PipelineStoppedException();
        }
        cancel.Dispose();
        return task.GetAwaiter().GetResult();
    }

    /// <summary>An IProgress whose reports run <paramref name="onPipeline"/> on the pipeline thread.</summary>
    public IProgress<T> Reporter<T>(Action<T> onPipeline) => new PostingProgress<T>(this, onPipeline);

    private sealed class PostingProgress<T>(AsyncBridge bridge, Action<T> onPipeline) : IProgress<T>
    {
        public void Report(T value) => bridge.Post(() => onPipeline(value));
    }

    public void Run(Func<CancellationToken, Task> work) => Run<bool>(async token => { await work(token).ConfigureAwait(false); return true; });

    /// <summary>Waits (bounded) for cancelled work to end, so it does not outlive the cmdlet unobserved.</summary>
    private static void Settle(Task task)
    {
        try { task.Wait(GiveUpAfterStop); }
        catch (AggregateException) { }
        task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }
}

/// <summary>
/// Base of the module's cmdlets that talk to the agent or run git: StopProcessing cancels <see cref="Bridge"/>'s work.
/// </summary>
public abstract class PatchwireCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();
    private AsyncBridge? _bridge;

    internal AsyncBridge Bridge => _bridge ??= new AsyncBridge(_stopping.Token);

    /// <summary>Runs async work on the bridge (cancelled by Ctrl+C) and returns its result.</summary>
    internal T Await<T>(Func<CancellationToken, Task<T>> work) => Bridge.Run(work);

    protected override void StopProcessing()
    {
        _stopping.Cancel();
        base.StopProcessing();
    }
}
