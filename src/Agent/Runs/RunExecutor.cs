using System.Runtime.ExceptionServices;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Core.IO;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// One run, once the scheduler has granted its slot. In a run folder of its own (<see cref="ExecuteInOwnFolderAsync"/>,
/// /ask and /runs): made from the baseline (or the checkout's clean HEAD), the AI run there, the diff captured, the
/// folder removed; the checkout itself is only read, so runs on one project run side by side. In the checkout
/// (<see cref="ExecuteAsync"/>, chat turns, and every run with PW_RUN_WORKTREES=off): take the checkout's lock, journal
/// the pre-run state, start from the baseline if one was named, run the AI, capture the diff, and restore the
/// checkout on every path (result, AI failure, timeout, cancellation, exception) before the lock is released.
/// </summary>
public sealed class RunExecutor(AiRunner runner, RunJournal journal, CheckoutLocks locks, RunWorktrees worktrees, AgentOptions options, ILogger<RunExecutor> log)
{
    /// <summary>
    /// The run in a folder of its own (<see cref="RunWorktrees"/>), or, with PW_RUN_WORKTREES=off, in the checkout
    /// (<see cref="ExecuteAsync"/>). Same parameters, results and exceptions.
    /// </summary>
    public async Task<RunResult> ExecuteInOwnFolderAsync(string checkout, string? baseline, string prompt, bool verifyClean, CancellationToken cancellationToken, AiRunExtras? extras = null)
    {
        if (!worktrees.Enabled) return await ExecuteAsync(checkout, baseline, prompt, verifyClean, cancellationToken, extras).ConfigureAwait(false);

        string baseCommit;
        if (baseline is null)
        {
            // The checkout's HEAD and cleanliness, read under its lock (a chat turn or a sync may be changing it).
            using var held = await locks.AcquireAsync(checkout, cancellationToken).ConfigureAwait(false);
            // Before git reads the checkout's work tree: its config as the agent writes it (no filter could run).
            GitDirGuard.Canonicalize(checkout);
            var status = verifyClean ? await CheckoutWorkspace.StatusAsync(checkout).ConfigureAwait(false) : "";
            if (status.Length > 0)
                throw new RunFailure(ErrorCodes.RunFailed, "The checkout has uncommitted changes; commit or discard them on the box, or sync a baseline. git status:\n" + status);
            baseCommit = (await CheckoutWorkspace.CurrentStateAsync(checkout).ConfigureAwait(false)).BaseCommit;
        }
        else
        {
            baseCommit = baseline;
        }

        using var lease = worktrees.Lease(checkout);
        var folder = RunWorktrees.NewFolder(checkout);
        var state = new CheckoutState(folder, baseCommit, null);
        var entry = journal.Begin(state, runFolder: true);
        GitDirGuard? guard = null;
        try
        {
            try
            {
                await RunWorktrees.CreateAsync(checkout, folder, baseCommit, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is GitException or IOException or UnauthorizedAccessException)
            {
                throw new RunFailure(ErrorCodes.RunFailed, "Could not prepare the run's folder: " + ex.Message);
            }
            guard = GitDirGuard.Take(folder);
            var index = journal.IndexPath(entry);
            await CheckoutWorkspace.SnapshotIndexAsync(state, index).ConfigureAwait(false);
            return await RunAndCaptureAsync(state, prompt, entry, guard, index, extras, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guard?.Dispose();
            try
            {
                RunWorktrees.Remove(folder);
                journal.Complete(entry);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The journal entry stays, so the next start removes the folder.
                log.LogError("Could not remove the run folder {Folder}: {Message}", folder, ex.Message);
            }
        }
    }

    /// <param name="baseline">Full commit id to start from, or null to start from the checkout as it is (which must be clean).</param>
    /// <param name="verifyClean">Check under the lock that the checkout is clean (the pre-flight could not, because another holder had it).</param>
    /// <exception cref="RunFailure">The run ended in an error event.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (client gone, agent stopping); the checkout is restored.</exception>
    /// <param name="extras">Passed to <see cref="AiRunner.RunAsync"/>: extra AI arguments and a stdout line callback.</param>
    public async Task<RunResult> ExecuteAsync(string checkout, string? baseline, string prompt, bool verifyClean, CancellationToken cancellationToken, AiRunExtras? extras = null)
    {
        using var lease = await locks.AcquireAsync(checkout, cancellationToken).ConfigureAwait(false);
        CheckoutState state;
        if (baseline is null)
        {
            var status = verifyClean ? await CheckoutWorkspace.StatusAsync(checkout).ConfigureAwait(false) : "";
            if (status.Length > 0)
                throw new RunFailure(ErrorCodes.RunFailed, "The checkout has uncommitted changes; commit or discard them on the box, or sync a baseline. git status:\n" + status);
            state = await CheckoutWorkspace.CurrentStateAsync(checkout).ConfigureAwait(false);
        }
        else
        {
            state = new CheckoutState(checkout, baseline, null);
        }

        var entry = journal.Begin(state);
        RunResult? result = null;
        string? realIndex = null;
        Exception? failure = null;
        GitDirGuard? guard = null;
        try
        {
            guard = GitDirGuard.Take(checkout);
            guard.State.Save(journal.GitDirStatePath(entry));
            (result, realIndex) = await RunInCheckoutAsync(state, baseline, prompt, entry, guard, extras, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        try
        {
            // Before any git command after the AI (again, if the capture did not get that far): .git as the agent set it up.
            if (guard is not null) guard.Restore();
            else GitDirGuard.Canonicalize(checkout);
            var treeUnchanged = result is not null && result.Diff.Patch.Length == 0 && realIndex is not null
                && SameBytes(realIndex, journal.PristineIndexPath(entry));
            await CheckoutWorkspace.RestoreAsync(state, treeUnchanged).ConfigureAwait(false);
            journal.Complete(entry);
        }
        catch (Exception ex)
        {
            // The journal entry stays, so the next start tries again.
            log.LogError("Could not restore {Checkout} after a run: {Message}", checkout, ex.Message);
            failure ??= new RunFailure(ErrorCodes.Internal, "The run finished but the checkout could not be restored; the agent will retry on its next start.");
        }
        finally
        {
            guard?.Dispose();
        }
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        return result!;
    }

    /// <returns>The run's result, and the real index file when its pre-run copy was kept (it tells whether a reset is needed at all).</returns>
    private async Task<(RunResult Result, string? RealIndex)> RunInCheckoutAsync(CheckoutState state, string? baseline, string prompt, RunJournalEntry entry, GitDirGuard guard, AiRunExtras? extras, CancellationToken cancellationToken)
    {
        if (baseline is not null) await CheckoutWorkspace.CheckoutBaselineAsync(state.Path, baseline).ConfigureAwait(false);
        var index = journal.IndexPath(entry);
        var realIndex = await CheckoutWorkspace.SnapshotIndexAsync(state, index).ConfigureAwait(false);
        if (realIndex is not null && File.Exists(realIndex))
        {
            File.Copy(index, journal.PristineIndexPath(entry), overwrite: true);
            OwnerOnly.Apply(journal.PristineIndexPath(entry));
        }
        else
            realIndex = null;
        return (await RunAndCaptureAsync(state, prompt, entry, guard, index, extras, cancellationToken).ConfigureAwait(false), realIndex);
    }

    /// <summary>The AI in <paramref name="state"/>'s folder, then (its .git as the agent set it up) the capture of what it changed.</summary>
    private async Task<RunResult> RunAndCaptureAsync(CheckoutState state, string prompt, RunJournalEntry entry, GitDirGuard guard, string index, AiRunExtras? extras, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        AiRunOutcome ai;
        try
        {
            ai = await runner.RunAsync(state.Path, prompt, pid => journal.RecordProcess(entry, pid), cancellationToken, extras).ConfigureAwait(false);
        }
        catch (AiStartException ex)
        {
            throw new RunFailure(ErrorCodes.RunFailed, ex.Message);
        }
        if (ai.TimedOut)
            throw new RunFailure(ErrorCodes.RunFailed,
                $"The AI run took longer than PW_TIMEOUT_SEC ({(int)options.Timeout.TotalSeconds} s) and was stopped with all its processes. Nothing was changed.");

        try
        {
            guard.Restore();
            var diff = await CheckoutWorkspace.CaptureAsync(state, index).ConfigureAwait(false);
            return new RunResult(ai, diff, state.BaseCommit);
        }
        catch (Exception ex) when (ex is GitException or IOException or UnauthorizedAccessException)
        {
            throw new RunFailure(ErrorCodes.DiffFailed, "Could not capture the AI's changes: " + ex.Message);
        }
    }

    private static bool SameBytes(string a, string b)
    {
        try
        {
            var left = new FileInfo(a);
            var right = new FileInfo(b);
            if (!left.Exists || !right.Exists || left.Length != right.Length) return false;
            return File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
        }
        catch (IOException) { return false; }
    }
}
