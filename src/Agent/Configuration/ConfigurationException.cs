namespace Patchwire.Agent.Configuration;

/// <summary>A setting the agent cannot start with; the message names the variable.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
