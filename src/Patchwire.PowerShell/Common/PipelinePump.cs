using System.Collections.Concurrent;
using System.Management.Automation;

namespace Patchwire.PowerShell.Common;

/// <summary>
/// Runs asynchronous work off the pipeline thread while the pipeline thread executes what it posts
/// (Write-Progress, host messages): PowerShell only accepts those calls from the thread running the cmdlet.
/// It also watches the cmdlet's Stopping flag (Ctrl+C), so a verb run by the dispatcher cancels as well as a cmdlet.
/// </summary>
internal sealed class PipelinePump(Cmdlet cmdlet)
{
    private readonly BlockingCollection<Action> _actions = new();

    /// <summary>Queues an action for the pipeline thread; ignored once the work has finished.</summary>
    public void Post(Action action)
    {
        try { _actions.Add(action); }
        catch (InvalidOperationException) { }
    }

    /// <summary>
    /// Starts <paramref name="work"/> on the thread pool and runs posted actions here until it ends; returns its result or
    /// rethrows its exception. When the pipeline is stopped the work is cancelled and <see cref="PipelineStoppedException"/> thrown.
    /// </summary>
    public T Run<T>(Func<CancellationToken, Task<T>> work)
    {
        using var cancel = new CancellationTokenSource();
        var task = Task.Run(() => work(cancel.Token));
        task.ContinueWith(_ => _actions.CompleteAdding(), TaskScheduler.Default);
        while (!_actions.IsCompleted)
        {
            if (cmdlet.Stopping) cancel.Cancel();
            if (_actions.TryTake(out var action, 100) && !cancel.IsCancellationRequested) action();
        }
        if (cancel.IsCancellationRequested)
        {
            try { task.Wait(); }
            catch (AggregateException) { }
            throw new PipelineStoppedException();
        }
        return task.GetAwaiter().GetResult();
    }
}
