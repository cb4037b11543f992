namespace Patchwire.Agent.Sync;

/// <summary>The disk under a checkout filled up while a snapshot was unpacked or checked out (answered 507).</summary>
public sealed class DiskFullException(string message) : Exception(message)
{
    /// <summary>git's words for a full disk or quota (its messages are in English: LC_ALL=C).</summary>
    public static bool Matches(string text) =>
        text.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("Out of diskspace", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a <see cref="DiskFullException"/>, or any failure whose message says the disk is full.</summary>
    public static bool Is(Exception exception) => exception is DiskFullException || Matches(exception.Message);
}
