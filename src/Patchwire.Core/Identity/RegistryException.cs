namespace Patchwire.Core.Identity;

public enum RegistryErrorKind { InvalidName, InvalidToken, AlreadyExists, NotFound, CorruptFile, LockTimeout, InvalidPolicy }

/// <summary>A registry operation that could not be done; the message says what to do.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(RegistryErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;
    public RegistryErrorKind Kind { get; }
}
