using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Verify;

namespace Patchwire.Agent.Runs;

/// <summary>A run that ends in a <c>result</c> event: how the AI exited, what it changed, and the verify command's outcome (null when it did not run).</summary>
public sealed record RunResult(AiRunOutcome Ai, CapturedDiff Diff, string BaseCommit, VerifyOutcome? Verify = null);
