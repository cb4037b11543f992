using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Patchwire.Core.IO;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Sync;

/// <summary>What one sync did: the baseline commit the agent now holds for the project.</summary>
public sealed class SyncResult
{
    public string Project { get; set; } = "";
    /// <summary>The snapshot commit id; /ask and /chat pass it as "baseline".</summary>
    public string Baseline { get; set; } = "";
    /// <summary>False when the agent already had this snapshot (nothing was sent).</summary>
    public bool Transferred { get; set; }
    public long BytesSent { get; set; }
    public TimeSpan Duration { get; set; }
    /// <summary>The snapshot's tree id (equal trees mean identical content).</summary>
    public string Tree { get; set; } = "";
    /// <summary>True when the whole tree was sent (the agent had no usable baseline), false for an incremental bundle.</summary>
    public bool Full { get; set; }
    /// <summary>The local folder that was synced.</summary>
    public string Path { get; set; } = "";
    /// <summary>The agent it was synced to.</summary>
    public string AgentUrl { get; set; } = "";
    /// <summary>Submodules (and nested repositories) in the project: their folders exist on the agent but their
    /// contents were not sent. Empty when there are none.</summary>
    public IReadOnlyList<string> SubmodulesNotSent { get; set; } = Array.Empty<string>();
    /// <summary>True when git's builtin fsmonitor daemon watched the tree for this sync (sync.fsmonitor on macOS/Windows).</summary>
    public bool Fsmonitor { get; set; }
}

/// <summary>
/// Snapshots the laptop's working tree and brings the agent's checkout to it (SPEC §6).
/// Wire: GET /sync/{project} answers {"baseline": sha|null}; POST /sync/{project} takes a git bundle
/// (application/octet-stream) holding refs/patchwire/snapshots/{project} and answers {"baseline": sha}.
/// A 409 means the agent lacks the bundle's base, and a full bundle is sent instead.
/// </summary>
public static class ProjectSync
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Syncs the project before an ask or a chat turn, reporting each step; returns the baseline the agent now has.
    /// A prompt over the agent's PW_MAX_PROMPT_BYTES is refused before anything is sent.
    /// </summary>
    public static async Task<string> SyncForRunAsync(ClientSettings settings, AgentClient client, string prompt, Action<RunProgress> report, CancellationToken cancellationToken)
    {
        report(new RunProgress(RunProgress.Syncing, "Syncing…"));
        var promptBytes = Encoding.UTF8.GetByteCount(prompt);
        var synced = await SyncAsync(settings, client, new RelayProgress(m => report(new RunProgress(RunProgress.Syncing, m))), cancellationToken,
            agent =>
            {
                if (agent.MaxPromptBytes is { } limit && promptBytes > limit)
                    throw new AgentClientException(AgentClient.PromptTooLarge(limit, promptBytes), (HttpStatusCode)413, HttpErrors.PromptTooLarge);
            }).ConfigureAwait(false);
        return synced.Baseline;
    }

    /// <summary>One sync with its own connection to the agent: what Sync-PatchwireProject and 'patchwire sync' run.</summary>
    public static async Task<SyncResult> SyncAsync(ClientSettings settings, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        using var client = new AgentClient(settings);
        return await SyncAsync(settings, client, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="checkAgent">Runs once the agent's state is known and before anything is sent; it may throw to stop the sync (an ask whose prompt is over the agent's limit).</param>
    public static async Task<SyncResult> SyncAsync(ClientSettings settings, AgentClient client, IProgress<string>? progress, CancellationToken cancellationToken, Action<SyncState>? checkAgent = null)
    {
        if (string.IsNullOrEmpty(settings.ProjectRoot))
            throw new SyncException("No project folder given to sync.");
        var clock = Stopwatch.StartNew();
        progress?.Report($"Snapshotting {settings.ProjectRoot}…");
        var snapshot = await WorkingTreeSnapshot.OpenAsync(settings.ProjectRoot, settings.Project, settings.Home, settings.SyncFsmonitor, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(snapshot.StateDirectory);
        FileLock gate;
        try { gate = FileLock.Acquire(snapshot.LockFile, LockTimeout, cancellationToken); }
        catch (TimeoutException ex) { throw new SyncException($"Another sync of '{settings.Project}' is still running ({ex.Message}).", ex); }
        using (gate)
        {
            // The snapshot is local work; asking the agent for its baseline overlaps with it.
            var agentTask = GetAgentStateAsync(client, settings.Project, cancellationToken);
            string tree;
            SnapshotCommit? previous;
            IReadOnlyList<string> submodules;
            try
            {
                tree = await snapshot.WriteTreeAsync(settings.Excludes, cancellationToken).ConfigureAwait(false);
                previous = await snapshot.CurrentAsync(cancellationToken).ConfigureAwait(false);
                submodules = await snapshot.SubmodulesAsync(tree, cancellationToken).ConfigureAwait(false);
            }
            catch (GitCommandException ex)
            {
                Observe(agentTask);
                throw new SyncException($"Could not snapshot '{settings.ProjectRoot}': {ex.Message}", ex);
            }
            catch (SyncException)
            {
                Observe(agentTask);
                throw;
            }
            var agentState = await agentTask.ConfigureAwait(false);
            checkAgent?.Invoke(agentState);
            var (agentBaseline, limit) = (agentState.Baseline, agentState.MaxBundleBytes);

            var result = new SyncResult { Project = settings.Project, Tree = tree, Path = settings.ProjectRoot, AgentUrl = settings.AgentUrl, SubmodulesNotSent = submodules, Fsmonitor = snapshot.Fsmonitor };
            if (submodules.Count > 0)
                progress?.Report($"Submodule contents are not sent ({string.Join(", ", submodules)}): only the superproject is synced.");
            if (previous is not null && previous.Tree == tree && previous.Commit == agentBaseline)
            {
                progress?.Report("The agent is up to date.");
                result.Baseline = previous.Commit;
                result.Duration = clock.Elapsed;
                return result;
            }

            // The new snapshot's parent is what the agent holds, so the bundle carries only the difference.
            string? parent = null;
            if (agentBaseline is not null &&
                (agentBaseline == previous?.Commit || agentBaseline == previous?.Parent || await snapshot.HasCommitAsync(agentBaseline, cancellationToken).ConfigureAwait(false)))
                parent = agentBaseline;

            var sent = await SendAsync(snapshot, client, tree, previous, parent, limit, progress, cancellationToken).ConfigureAwait(false);
            if (sent is null && parent is not null)
            {
                progress?.Report("The agent lacks the previous snapshot; sending the whole tree…");
                sent = await SendAsync(snapshot, client, tree, previous: null, parent: null, limit, progress, cancellationToken).ConfigureAwait(false);
            }
            if (sent is null)
                throw new SyncException("The agent refused the full snapshot as incomplete; this should not happen. Run 'patchwire doctor' and retry.");
            result.Baseline = sent.Value.Baseline;
            result.BytesSent = sent.Value.Bytes;
            result.Full = sent.Value.Full;
            result.Transferred = true;
            try { await snapshot.PruneIfDueAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is GitCommandException or IOException or UnauthorizedAccessException)
            {
                progress?.Report($"Could not prune old snapshots in {snapshot.StateDirectory}: {ex.Message}");
            }
            result.Duration = clock.Elapsed;
            progress?.Report($"Synced {settings.Project} ({FormatBytes(result.BytesSent)} sent).");
            return result;
        }
    }

    /// <summary>The agent's baseline for the project, or null when it has none.</summary>
    public static async Task<string?> GetBaselineAsync(AgentClient client, string project, CancellationToken cancellationToken) =>
        (await GetAgentStateAsync(client, project, cancellationToken).ConfigureAwait(false)).Baseline;

    /// <summary>GET /sync/{project}; a baseline that is not a commit id counts as none.</summary>
    private static async Task<SyncState> GetAgentStateAsync(AgentClient client, string project, CancellationToken cancellationToken)
    {
        SyncState? state;
        try
        {
            using var doc = await client.GetJsonAsync(Routes.Sync(project), cancellationToken).ConfigureAwait(false);
            state = doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Deserialize<SyncState>(ProtocolJson.Options) : null;
        }
        catch (JsonException ex) { throw new SyncException($"The agent at {client.Settings.AgentUrl} answered GET /sync with something that is not JSON. Is PW_AGENT_URL a Patchwire agent?", ex); }
        state ??= new SyncState { Project = project };
        if (!ObjectIds.IsObjectId(state.Baseline)) state.Baseline = null;
        return state;
    }

    /// <summary>Commits (or reuses) the snapshot on <paramref name="parent"/> and posts the bundle; null when the agent lacks the parent (409).</summary>
    private static async Task<(string Baseline, long Bytes, bool Full)?> SendAsync(
        WorkingTreeSnapshot snapshot, AgentClient client, string tree, SnapshotCommit? previous, string? parent, long? limit, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        SnapshotCommit commit;
        try
        {
            commit = previous is not null && previous.Tree == tree && previous.Parent == parent
                ? previous // an earlier sync made this very snapshot but did not finish sending it
                : await snapshot.CommitAsync(tree, parent, cancellationToken).ConfigureAwait(false);
        }
        catch (GitCommandException ex)
        {
            throw new SyncException($"Could not record the snapshot of '{snapshot.WorkTree}': {ex.Message}", ex);
        }

        progress?.Report(parent is null ? "Sending the whole tree to the agent…" : "Sending changes to the agent…");
        var revisions = parent is null ? new[] { snapshot.Ref } : new[] { snapshot.Ref, "^" + parent };
        using var content = new BundleUpload(snapshot.Git, revisions, limit, cancellationToken) { Compression = BundleUpload.CompressionFor(client.Settings.AgentUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Sync(snapshot.Project)) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await AgentClient.ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
            var baseline = JsonSerializer.Deserialize<SyncAnswer>(text, ProtocolJson.Options)?.Baseline;
            if (baseline != commit.Commit)
                throw new SyncException($"The agent answered baseline '{baseline}' for snapshot {commit.Commit}. Is PW_AGENT_URL a Patchwire agent?");
            return (baseline!, content.BytesSent, parent is null);
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.Conflict && parent is not null)
        {
            return null;
        }
        catch (AgentClientException ex) when (content.GitFailure is not null)
        {
            throw new SyncException($"Could not pack the snapshot of '{snapshot.WorkTree}': {content.GitFailure.Message}", ex);
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.RequestEntityTooLarge && ex.ErrorCode is { } code && code.StartsWith(HttpErrors.SnapshotTooLargePrefix, StringComparison.Ordinal))
        {
            throw new SyncException($"The agent refused the snapshot of '{snapshot.WorkTree}': {code.Substring(HttpErrors.SnapshotTooLargePrefix.Length)}. Nothing was checked out; the agent keeps the previous baseline. Exclude large or generated files with sync.exclude in patchwire.yml, or ask the admin to raise the limit.", ex);
        }
        catch (AgentClientException ex) when ((int?)ex.Status == 507)
        {
            throw new SyncException($"The agent's disk is full: it could not unpack or check out the snapshot of '{snapshot.WorkTree}' and keeps the previous baseline. Free space on the box (or ask the admin to), then sync again.", ex);
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.RequestEntityTooLarge || (ex.Status is null && content.ExceededLimit))
        {
            var limitText = limit is { } l ? FormatBytes(l) : "PW_MAX_BUNDLE_BYTES";
            throw new SyncException($"The snapshot of '{snapshot.WorkTree}' is larger than the agent accepts ({limitText}, set by PW_MAX_BUNDLE_BYTES on the agent). Exclude large or generated files with sync.exclude in patchwire.yml, or ask the admin to raise the limit.", ex);
        }
        catch (JsonException ex)
        {
            throw new SyncException($"The agent at {client.Settings.AgentUrl} answered the sync with something that is not JSON. Is PW_AGENT_URL a Patchwire agent?", ex);
        }
    }

    private static void Observe(Task task) => task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);

    public static string FormatBytes(long bytes) =>
        bytes < 1024 ? $"{bytes} B" : bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes / (1024.0 * 1024):0.#} MB";

    private sealed class RelayProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
