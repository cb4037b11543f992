namespace Patchwire.Agent.Runs;

/// <summary>The AI command could not be started (not found, not executable).</summary>
public sealed class AiStartException(string message, Exception? inner = null) : Exception(message, inner);
