namespace Patchwire.Core.Protocol;

/// <summary>
/// The agent's HTTP routes (SPEC §4–§10), as the module requests them (relative to the agent URL) and as the agent maps
/// them (the *Pattern constants). Names in paths are escaped here, once.
/// </summary>
public static class Routes
{
    public const string Health = "health";
    public const string Me = "me";
    public const string Ask = "ask";
    public const string Chat = "chat";
    public const string Queue = "queue";
    public const string Sessions = "sessions";
    public const string Runs = "runs";
    public const string Metrics = "metrics";

    public const string SyncPattern = "/sync/{project}";
    public const string SessionStatusPattern = "/session/{uuid}/status";
    public const string SessionPattern = "/session/{uuid}";

    /// <summary>GET (the agent's baseline) and POST (a bundle) for one project.</summary>
    public static string Sync(string project) => "sync/" + Uri.EscapeDataString(project);
    public static string SessionStatus(Guid session) => $"session/{session}/status";
    public static string Session(Guid session) => $"session/{session}";
}

/// <summary>The git refs both sides agree on.</summary>
public static class GitRefs
{
    /// <summary>The laptop's snapshot commits, one ref per project; a sync bundle holds exactly this ref.</summary>
    public const string SnapshotPrefix = "refs/patchwire/snapshots/";
    /// <summary>In an agent checkout: the snapshot it was last synced to.</summary>
    public const string Baseline = "refs/patchwire/baseline";

    public static string Snapshot(string project) => SnapshotPrefix + project;
}

/// <summary>Validators of ids that cross the wire.</summary>
public static class ObjectIds
{
    /// <summary>A full git object id as git prints it: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.</summary>
    public static bool IsObjectId(string? text)
    {
        if (text is null || (text.Length != 40 && text.Length != 64)) return false;
        foreach (var c in text)
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }
}

/// <summary>
/// The "error" values of plain-HTTP failures ({"error": "..."}, SPEC §4–§12). The module compares against these to
/// give the right advice; the agent writes them.
/// </summary>
public static class HttpErrors
{
    public const string Unauthorized = "unauthorized";
    public const string UserDisabled = "user disabled";
    public const string InvalidProjectName = "invalid project name";
    public const string ProjectNotFound = "project not found";
    public const string NotAGitRepository = "not a git repository";
    public const string UnknownBaseline = "unknown baseline";
    public const string CheckoutDirty = "checkout is dirty";
    public const string CheckoutNotSyncable = "checkout is not syncable";
    public const string PromptTooLarge = "prompt too large";
    public const string RequestBodyTooLarge = "request body too large";
    public const string BundleTooLarge = "bundle too large";
    public const string BundleBaseMissing = "bundle base missing";
    /// <summary>A snapshot holds paths the agent's file system cannot create (Windows device names, case-only pairs...); "paths" names them.</summary>
    public const string SnapshotNamesUnsupported = "snapshot names unsupported on the agent";
    public const string TurnInFlight = "turn in flight";
    public const string SessionOtherProject = "session belongs to another project";
    public const string SessionNotFound = "session not found";
    public const string InvalidSessionUuid = "invalid session uuid";
    /// <summary>429 on /chat: a new session while every one the user may keep (PW_MAX_SESSIONS_PER_USER) has a turn in flight.</summary>
    public const string TooManySessions = "too many sessions";
    public const string Forbidden = "forbidden";
    public const string ProjectNotAllowed = "project_not_allowed";
    public const string RateLimited = "rate_limited";
    public const string BudgetExceeded = "budget_exceeded";
    public const string RunNotFound = "run not found";
    public const string InvalidRunId = "invalid run id";
    public const string RunAlreadyFinished = "run already finished";
    public const string InvalidAfter = "invalid after: expected a whole number of events already seen";
    public const string AfterPastLastEvent = "after is past the last event";
    public const string DiskFull = "the agent's disk is full: the snapshot could not be unpacked or checked out";

    // Codes that carry their detail after the prefix ("invalid body: missing field 'prompt'").
    public const string InvalidBodyPrefix = "invalid body: ";
    public const string InvalidBundlePrefix = "invalid bundle: ";
    public const string UnsafeSnapshotPrefix = "unsafe snapshot: ";
    public const string SnapshotTooLargePrefix = "snapshot too large: ";
    public const string InternalPrefix = "internal: ";
    /// <summary>GET /metrics from an address that is not loopback (403).</summary>
    public const string MetricsLoopbackOnly = "metrics are served to loopback clients only";
}
