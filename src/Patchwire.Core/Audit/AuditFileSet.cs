using System.Globalization;

namespace Patchwire.Core.Audit;

/// <summary>The live audit log and its rotated siblings (<c>agent.log.1</c> newest rotated, <c>.2</c> older, …).</summary>
public static class AuditFileSet
{
    /// <summary>Rotated files present beside the log, by number. Gaps (a missing <c>.1</c>) are simply absent.</summary>
    public static IEnumerable<(int Index, string Path)> RotatedFiles(string directory, string logFileName)
    {
        if (!Directory.Exists(directory)) yield break;
        var prefix = logFileName + ".";
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            var name = Path.GetFileName(file);
            if (name.Length <= prefix.Length || !name.StartsWith(prefix, StringComparison.Ordinal)) continue; // "agent.log.*" also matches "agent.log"
            var suffix = name.Substring(prefix.Length);
            if (suffix.Length == 0 || suffix.Length > 6 || !suffix.All(c => c >= '0' && c <= '9')) continue;
            var index = int.Parse(suffix, CultureInfo.InvariantCulture);
            if (index >= 1) yield return (index, file);
        }
    }

    /// <summary>Every file of the set, newest first: the live file (if present), then .1, .2, … in order.</summary>
    public static IReadOnlyList<string> NewestFirst(string logPath)
    {
        var full = Path.GetFullPath(logPath);
        var result = new List<string>();
        if (File.Exists(full)) result.Add(full);
        result.AddRange(RotatedFiles(Path.GetDirectoryName(full)!, Path.GetFileName(full)).OrderBy(f => f.Index).Select(f => f.Path));
        return result;
    }

    /// <summary>
    /// Opens every file of the set for reading, newest first. While the handles are opened the writer's lock is
    /// held briefly (when its lock file exists and can be taken within a second), so a rotation cannot happen
    /// half-way and make a file be read twice or not at all. Open handles keep their content through later renames.
    /// </summary>
    public static List<FileStream> OpenNewestFirst(string logPath)
    {
        var full = Path.GetFullPath(logPath);
        using var writerLock = TryLockExisting(AuditWriter.LockPathFor(full), TimeSpan.FromSeconds(1));
        var streams = new List<FileStream>();
        try
        {
            foreach (var file in NewestFirst(full))
            {
                try
                {
                    streams.Add(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan));
                }
                catch (FileNotFoundException) { } // rotated away between listing and opening (no lock file to hold)
                catch (DirectoryNotFoundException) { }
            }
            return streams;
        }
        catch
        {
            foreach (var s in streams) s.Dispose();
            throw;
        }
    }

    private static FileStream? TryLockExisting(string lockPath, TimeSpan timeout)
    {
        if (!File.Exists(lockPath)) return null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try { return new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1); }
            catch (FileNotFoundException) { return null; }
            catch (UnauthorizedAccessException) { return null; } // a reader without write access reads without the lock
            catch (IOException) when (clock.Elapsed < timeout) { Thread.Sleep(2); }
            catch (IOException) { return null; }
        }
    }
}
