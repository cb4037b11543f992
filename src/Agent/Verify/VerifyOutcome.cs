namespace Patchwire.Agent.Verify;

/// <summary>How the verify command (PW_VERIFY_CMD) ended: passed only on exit code 0 within the timeout.</summary>
/// <param name="ExitCode">The command's exit code (128 + N when killed by signal N); -1 when it was stopped at the timeout or could not start.</param>
/// <param name="Output">A bounded tail (<see cref="VerifyRunner.OutputTailBytes"/>) of stdout and stderr together, or why it could not run.</param>
public sealed record VerifyOutcome(bool Passed, int ExitCode, TimeSpan Duration, string Output, bool TimedOut);
