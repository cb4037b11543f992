namespace Patchwire.Agent.Runs;

/// <summary>A run that ends in an <c>error</c> event; <see cref="Code"/> is one of <see cref="Patchwire.Core.Protocol.ErrorCodes"/>.</summary>
public sealed class RunFailure(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
