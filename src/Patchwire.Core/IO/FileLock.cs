using System.Diagnostics;

namespace Patchwire.Core.IO;

/// <summary>
/// A cross-process exclusive lock held by keeping a lock file open with FileShare.None
/// (flock on Unix, a share-mode lock on Windows). The OS drops it if the holder dies.
/// </summary>
public sealed class FileLock : IDisposable
{
    private FileStream? _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting (Ctrl+C).</exception>
    public static FileLock Acquire(string lockPath, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(lockPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var clock = Stopwatch.StartNew();
        var delay = 1;
        while (true)
        {
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                try { OwnerOnly.Apply(lockPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                return new FileLock(stream);
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                if (cancellationToken.WaitHandle.WaitOne(delay)) cancellationToken.ThrowIfCancellationRequested();
                delay = Math.Min(delay * 2, 50);
            }
            catch (IOException ex)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for the lock '{lockPath}'. Another Patchwire process holds it.", ex);
            }
        }
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }
}
