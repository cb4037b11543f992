namespace Patchwire.Agent.Runs;

/// <summary>How an AI run ended. A process killed by a signal reports 128 + the signal number, as shells do.</summary>
public sealed record AiRunOutcome(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, bool TimedOut);
