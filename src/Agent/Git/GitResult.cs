namespace Patchwire.Agent.Git;

/// <summary>What one git command the agent ran gave back.</summary>
public sealed record GitResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;

    public string FirstErrorLine =>
        Stderr.Replace("\r", "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? $"exit code {ExitCode}";
}

/// <summary>A git command failed where it must not, did not finish within its deadline, or the checkout's repository is not one the agent will use.</summary>
public sealed class GitException(string message, bool timedOut = false) : Exception(message)
{
    /// <summary>The command was killed at its deadline (see <see cref="AgentGit.Deadline"/>).</summary>
    public bool TimedOut { get; } = timedOut;
}
