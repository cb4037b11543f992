using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Runs;

/// <summary>A run that ends in a <c>result</c> event: how the AI exited and what it changed.</summary>
public sealed record RunResult(AiRunOutcome Ai, CapturedDiff Diff, string BaseCommit);
