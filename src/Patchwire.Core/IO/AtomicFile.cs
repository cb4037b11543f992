using System.Text;

namespace Patchwire.Core.IO;

/// <summary>Replaces a file so that readers (and a crash) see the old or the new content, never a mix.</summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(false);

    public static void WriteAllText(string path, string content, bool ownerOnly = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var stream = ownerOnly ? OwnerOnly.Create(temp, FileMode.CreateNew) : new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                var bytes = Utf8NoBom.GetBytes(content);
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(full))
                File.Replace(temp, full, null, ignoreMetadataErrors: true);
            else
                File.Move(temp, full);
        }
        finally
        {
            if (File.Exists(temp))
            {
                try { File.Delete(temp); } catch (IOException) { }
            }
        }
    }
}
