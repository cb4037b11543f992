using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>
/// The job source adapter behind Get-Job, Wait-Job, Receive-Job, Stop-Job and Remove-Job for Patchwire runs.
/// Import-Module registers it by itself with the session's JobManager (every exported JobSourceAdapter type of a binary
/// module is registered once per runspace, keyed by type name), so the module never registers it or adds its jobs to
/// the session's JobRepository: doing either made Get-Job list a job twice and fail on a duplicate key.
/// Cmdlets create jobs through <see cref="JobManager.NewJob(JobInvocationInfo)"/>, which lands in <see cref="NewJob(JobInvocationInfo)"/>
/// of this runspace's instance. Listing also asks the agent (GET /runs) for the caller's runs this session does not know,
/// so a new pwsh finds the runs an earlier one started. Remove-Job forgets a job in this session only: the agent keeps
/// the run for PW_RUN_RETENTION_HOURS, and a new session lists it again.
/// </summary>
public sealed class PatchwireJobSourceAdapter : JobSourceAdapter
{
    /// <summary>The jobs' PSJobTypeName and this adapter's name (Get-Job -JobTypeName... is not a thing, but Get-Job shows it).</summary>
    public const string JobTypeName = "PatchwireJob";
    internal const string SettingsParameter = "Settings";
    internal const string RunParameter = "Run";

    /// <summary>How long a listing waits for the agent: Get-Job must stay quick when the agent is down.</summary>
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly Dictionary<string, PatchwireJob> _jobs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private ClientSettings? _lastSettings;

    public PatchwireJobSourceAdapter()
    {
        Name = JobTypeName;
        // Import-Module creates the adapter on the runspace's pipeline thread: stop following runs when that runspace closes.
        if (Runspace.DefaultRunspace is { } runspace)
            runspace.StateChanged += (_, e) =>
            {
                if (e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken)
                    foreach (var job in Snapshot()) job.StopFollowing();
            };
    }

    /// <summary>A job for a run a cmdlet started, registered with this session's JobManager and already following the run.</summary>
    internal static PatchwireJob Start(PSCmdlet cmdlet, ClientSettings settings, PatchwireRun run)
    {
        var definition = new JobDefinition(typeof(PatchwireJobSourceAdapter), cmdlet.MyInvocation.MyCommand.Name, PatchwireJob.NameFor(run.Id))
        {
            ModuleName = cmdlet.MyInvocation.MyCommand.ModuleName,
        };
        var parameters = new Dictionary<string, object> { [SettingsParameter] = settings, [RunParameter] = run };
        return (PatchwireJob)cmdlet.JobManager.NewJob(new JobInvocationInfo(definition, parameters));
    }

    public override Job2 NewJob(JobInvocationInfo specification)
    {
        var parameters = specification.Parameters.SelectMany(p => p).ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);
        parameters.TryGetValue(SettingsParameter, out var s);
        parameters.TryGetValue(RunParameter, out var r);
        if (s is not ClientSettings settings || r is not PatchwireRun run)
            throw new ArgumentException("Patchwire jobs come from Start-PatchwireAsk and Invoke-PatchwireAsk -AsJob.", nameof(specification));
        PatchwireJob job;
        lock (_gate)
        {
            _lastSettings = settings;
            _removed.Remove(run.Id);
            if (!_jobs.TryGetValue(run.Id, out job!)) _jobs[run.Id] = job = new PatchwireJob(settings, run);
        }
        job.StartJob();
        return job;
    }

    public override IList<Job2> GetJobs()
    {
        Refresh();
        return Snapshot().Cast<Job2>().ToList();
    }

    public override IList<Job2> GetJobsByName(string name, bool recurse)
    {
        var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
        return GetJobs().Where(j => pattern.IsMatch(j.Name)).ToList();
    }

    public override IList<Job2> GetJobsByCommand(string command, bool recurse)
    {
        var pattern = WildcardPattern.Get(command, WildcardOptions.IgnoreCase);
        return GetJobs().Where(j => pattern.IsMatch(j.Command)).ToList();
    }

    public override IList<Job2> GetJobsByState(JobState state, bool recurse) => GetJobs().Where(j => j.JobStateInfo.State == state).ToList();

    /// <summary>Get-Job -Filter: keys RunId, Project or State (the run's: queued, running, succeeded...); other keys match nothing.</summary>
    public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) =>
        GetJobs().Cast<PatchwireJob>().Where(job => filter.All(f => f.Key.ToLowerInvariant() switch
        {
            "runid" => string.Equals(job.RunId, f.Value?.ToString(), StringComparison.OrdinalIgnoreCase),
            "project" => string.Equals(job.Project, f.Value?.ToString(), StringComparison.Ordinal),
            "state" => string.Equals(job.Run.State, f.Value?.ToString(), StringComparison.OrdinalIgnoreCase),
            _ => false,
        })).Cast<Job2>().ToList();

    // By id: the known jobs first, so Wait-Job/Receive-Job/Remove-Job on a job this session holds never call the agent.
    public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) =>
        Find(j => j.InstanceId == instanceId) ?? (Refresh() ? Find(j => j.InstanceId == instanceId) : null);

    public override Job2? GetJobBySessionId(int id, bool recurse) =>
        Find(j => j.Id == id) ?? (Refresh() ? Find(j => j.Id == id) : null);

    public override void RemoveJob(Job2 job)
    {
        if (job is not PatchwireJob patchwire) return;
        lock (_gate)
        {
            if (!_jobs.TryGetValue(patchwire.RunId, out var known) || !ReferenceEquals(known, patchwire)) return;
            _jobs.Remove(patchwire.RunId);
            _removed.Add(patchwire.RunId);
        }
        patchwire.Dispose();
    }

    private PatchwireJob? Find(Func<PatchwireJob, bool> match)
    {
        lock (_gate) return _jobs.Values.FirstOrDefault(match);
    }

    private List<PatchwireJob> Snapshot()
    {
        lock (_gate) return _jobs.Values.OrderBy(j => j.Id).ToList();
    }

    /// <summary>
    /// Adds a job for each of the caller's runs on the agent this session neither knows nor removed. Settings come from
    /// the current folder (else the last job started here); no token, no agent or an agent that does not answer leaves
    /// the list as it is: Get-Job must work for every session that imported the module. True when a job was added.
    /// </summary>
    private bool Refresh()
    {
        var settings = CurrentSettings();
        if (settings is null) return false;
        PatchwireRun[] runs;
        try
        {
            using var timeout = new CancellationTokenSource(ListTimeout);
            runs = DetachedRunApi.ListAsync(settings, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is PatchwireException or OperationCanceledException)
        {
            return false;
        }
        var added = new List<PatchwireJob>();
        lock (_gate)
        {
            foreach (var run in runs)
            {
                if (_jobs.ContainsKey(run.Id) || _removed.Contains(run.Id)) continue;
                var job = new PatchwireJob(settings, run);
                _jobs[run.Id] = job;
                added.Add(job);
            }
        }
        // The listing leaves out results (they can be large): each finished run is fetched once, here, a few at a time,
        // so Receive-Job right after Get-Job has it. One that cannot be fetched now is followed like a running one.
        using var fetching = new SemaphoreSlim(4);
        var finished = added.Where(j => j.Run.IsFinished).Select(async job =>
        {
            await fetching.WaitAsync().ConfigureAwait(false);
            try
            {
                using var timeout = new CancellationTokenSource(ListTimeout);
                job.Finish(await DetachedRunApi.GetAsync(settings, job.RunId, timeout.Token).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is PatchwireException or OperationCanceledException) { }
            finally { fetching.Release(); }
        }).ToArray();
        Task.WaitAll(finished);
        foreach (var job in added) job.StartJob();
        return added.Count > 0;
    }

    private ClientSettings? CurrentSettings()
    {
        try
        {
            if (CurrentFolder() is { } folder)
            {
                var here = ClientSettingsLoader.Load(folder);
                if (!string.IsNullOrEmpty(here.Token)) return here;
            }
        }
        catch (Exception ex) when (ex is PatchwireException or IOException or UnauthorizedAccessException) { }
        lock (_gate) return _lastSettings;
    }

    /// <summary>
    /// The session's current file-system folder. The adapter runs inside Get-Job's pipeline, where the runspace's
    /// SessionStateProxy is off limits (its Path is null, its methods refuse while a pipeline runs); a nested pipeline
    /// on the same thread may ask. Null when called from another thread.
    /// </summary>
    private static string? CurrentFolder()
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem");
            return ps.Invoke().Select(o => o.BaseObject).OfType<PathInfo>().FirstOrDefault()?.ProviderPath;
        }
        catch (Exception ex) when (ex is InvalidOperationException or RuntimeException) { return null; }
    }
}
