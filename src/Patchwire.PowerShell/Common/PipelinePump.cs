using System.Collections.Concurrent;

namespace Patchwire.PowerShell.Common;

/// <summary>
/// Runs asynchronous work off the pipeline thread while the pipeline thread executes what it posts
/// (Write-Progress, host messages): PowerShell only accepts those calls from the thread running the cmdlet.
/// </summary>
internal sealed class PipelinePump
{
    private readonly BlockingCollection<Action> _actions = new();

    /// <summary>Queues an action for the pipeline thread; ignored once the work has finished.</summary>
    public void Post(Action action)
    {
        try { _actions.Add(action); }
        catch (InvalidOperationException) { }
    }

    /// <summary>Starts <paramref name="work"/> on the thread pool and runs posted actions here until it ends; then returns its result or rethrows its exception.</summary>
    public T Run<T>(Func<Task<T>> work)
    {
        var task = Task.Run(work);
        task.ContinueWith(_ => _actions.CompleteAdding(), TaskScheduler.Default);
        foreach (var action in _actions.GetConsumingEnumerable()) action();
        return task.GetAwaiter().GetResult();
    }
}
