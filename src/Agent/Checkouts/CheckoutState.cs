namespace Patchwire.Agent.Checkouts;

/// <summary>
/// What a checkout looked like before a run, enough to put it back: the commit whose tree it held and the ref
/// HEAD pointed at (null when HEAD was detached). Also written to the run journal for crash recovery.
/// </summary>
/// <param name="IndexFile">The real index file, when already known.</param>
public sealed record CheckoutState(string Path, string BaseCommit, string? HeadRef, string? IndexFile = null);
