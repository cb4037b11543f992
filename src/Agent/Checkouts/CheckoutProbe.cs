namespace Patchwire.Agent.Checkouts;

/// <summary>What one <c>git rev-parse</c> tells about a checkout: top level, index file, HEAD commit, and HEAD's ref (null when detached).</summary>
public sealed record CheckoutProbe(string TopLevel, string IndexFile, string HeadCommit, string? HeadRef);
