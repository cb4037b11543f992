namespace Patchwire.Agent.Runs;

/// <summary>A run that ends in an <c>error</c> event; <see cref="Code"/> is one of <see cref="Patchwire.Core.Protocol.ErrorCodes"/>.</summary>
/// <param name="ai">How the AI ended, when the run failed after it (its diff could not be captured): such a run is audited.</param>
public sealed class RunFailure(string code, string message, AiRunOutcome? ai = null) : Exception(message)
{
    public string Code { get; } = code;
    public AiRunOutcome? Ai { get; } = ai;
}
