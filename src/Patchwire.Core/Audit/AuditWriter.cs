using Patchwire.Core.IO;

namespace Patchwire.Core.Audit;

/// <summary>
/// Appends audit lines to one log file and rotates it (SPEC §9).
/// <para>
/// Each line is serialized first, then written whole with a single write call while holding an in-process lock
/// and a cross-process lock file beside the log (<c>.agent.log.lock</c>, hidden so that <c>agent.log*</c> globs skip it),
/// so lines from concurrent turns, or from two agents sharing a log, are never torn or interleaved.
/// </para>
/// <para>
/// Durability: every line is flushed to the OS and fsync'ed before <see cref="Append"/> returns. Flushing makes a line
/// survive a crash or kill -9 of the agent; fsync makes it survive a power cut. It costs a few milliseconds per line,
/// which is nothing next to the AI turn the line records (seconds to minutes), and a paper trail that loses its last
/// lines exactly when something went wrong is not worth the saving.
/// </para>
/// <para>
/// Rotation: before a line would push the live file past <c>maxBytes</c>, <c>agent.log.(N-1)</c> … <c>.1</c> move up by one
/// (the oldest beyond <c>maxFiles</c> is deleted), <c>agent.log</c> becomes <c>.1</c> and the line starts a new file.
/// A line is never split across files; a single line longer than <c>maxBytes</c> gets a file of its own.
/// The file is reopened for every append, so a log rotated by another process (or deleted by an admin) is picked up at once.
/// </para>
/// </summary>
public sealed class AuditWriter
{
    private readonly object _gate = new();

    public AuditWriter(string path, long maxBytes = 52428800, int maxFiles = 3, TimeSpan? lockTimeout = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("The audit log path is empty.", nameof(path));
        if (maxBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBytes), "The rotation size must be positive.");
        if (maxFiles < 0) throw new ArgumentOutOfRangeException(nameof(maxFiles), "The number of rotated files cannot be negative.");
        Path = System.IO.Path.GetFullPath(path);
        MaxBytes = maxBytes;
        MaxFiles = maxFiles;
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(10);
        LockPath = LockPathFor(Path);
    }

    public string Path { get; }
    public long MaxBytes { get; }
    public int MaxFiles { get; }
    public TimeSpan LockTimeout { get; }
    public string LockPath { get; }

    /// <summary>The cross-process lock file of a log: a hidden sibling, e.g. <c>.agent.log.lock</c>.</summary>
    public static string LockPathFor(string logPath)
    {
        var full = System.IO.Path.GetFullPath(logPath);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, "." + System.IO.Path.GetFileName(full) + ".lock");
    }

    /// <summary>The path of rotated file number <paramref name="index"/> (1 = newest rotated).</summary>
    public static string RotatedPath(string logPath, int index) => logPath + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Appends one line. A default <see cref="AuditEntry.Timestamp"/> is stamped with the current time under the lock.</summary>
    /// <exception cref="IOException">The log could not be written (disk full, permissions) or the lock timed out.</exception>
    public void Append(AuditEntry entry)
    {
        if (entry is null) throw new ArgumentNullException(nameof(entry));
        var stampNow = entry.Timestamp == default;
        var line = stampNow ? null : AuditLineFormat.Serialize(entry);
        lock (_gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var crossProcess = AcquireFileLock();
            if (stampNow) line = AuditLineFormat.Serialize(entry, DateTimeOffset.UtcNow);
            WriteLocked(line!);
        }
    }

    private FileLock AcquireFileLock()
    {
        try { return FileLock.Acquire(LockPath, LockTimeout); }
        catch (TimeoutException ex) { throw new IOException($"Could not lock the audit log '{Path}': {ex.Message}", ex); }
    }

    private void WriteLocked(byte[] line)
    {
        var stream = Open();
        try
        {
            var length = stream.Length;
            // A torn last line (the writer of some earlier process died mid-line, or a hand edit) is closed off first,
            // so that this line starts on a line of its own instead of being glued to the garbage.
            var needsNewline = length > 0 && LastByte(stream, length) != (byte)'\n';
            var size = line.Length + (needsNewline ? 1 : 0);
            if (length > 0 && length + size > MaxBytes)
            {
                stream.Dispose();
                stream = null;
                Rotate();
                stream = Open();
                length = 0;
                needsNewline = false;
            }
            byte[] bytes;
            if (needsNewline)
            {
                bytes = new byte[line.Length + 1];
                bytes[0] = (byte)'\n';
                Buffer.BlockCopy(line, 0, bytes, 1, line.Length);
            }
            else
            {
                bytes = line;
            }
            stream.Position = length;
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            stream?.Dispose();
        }
    }

    private FileStream Open()
    {
        // bufferSize 1 disables FileStream's buffer, so the whole line goes to the OS in one write call.
        var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1);
        // Narrowed on every write, not only when this writer created it: a log someone else made first (0644) must not stay readable.
        try { OwnerOnly.Apply(Path); }
        catch { stream.Dispose(); throw; }
        return stream;
    }

    private static int LastByte(FileStream stream, long length)
    {
        stream.Position = length - 1;
        return stream.ReadByte();
    }

    private void Rotate()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        var name = System.IO.Path.GetFileName(Path);
        // Files beyond what we keep (left over from a larger PW_AUDIT_LOG_MAX_FILES) go first.
        foreach (var (index, file) in AuditFileSet.RotatedFiles(directory, name))
            if (index >= MaxFiles) File.Delete(file);
        if (MaxFiles == 0)
        {
            File.Delete(Path);
            return;
        }
        for (var i = MaxFiles - 1; i >= 1; i--)
        {
            var from = RotatedPath(Path, i);
            if (File.Exists(from)) File.Move(from, RotatedPath(Path, i + 1));
        }
        File.Move(Path, RotatedPath(Path, 1));
    }
}
