using System.Globalization;
using Patchwire.Core.IO;

namespace Patchwire.PowerShell.Patch;

/// <summary>
/// Where results that were not applied are kept, per project: every run's patch as
/// .patchwire/patches/&lt;UTC time&gt;-&lt;run id&gt;.patch (the newest 20 kept) and .patchwire/last.patch, a copy of the newest.
/// Two asks from one folder each keep their own file. .patchwire/ gets a .gitignore of '*', so git never shows or syncs it.
/// </summary>
public static class PatchStore
{
    public const string StateFolder = ".patchwire";
    public const string LastPatchName = "last.patch";
    public const string PatchesFolder = "patches";
    public const int Keep = 20;

    public static string LastPatchPath(string projectRoot) => Path.Combine(projectRoot, StateFolder, LastPatchName);
    public static string PatchesPath(string projectRoot) => Path.Combine(projectRoot, StateFolder, PatchesFolder);

    /// <summary>Saves the run's patch and makes it last.patch; returns the run's own file.</summary>
    public static string Save(string projectRoot, string patch, string runId)
    {
        var state = Path.Combine(projectRoot, StateFolder);
        Directory.CreateDirectory(state);
        var ignore = Path.Combine(state, ".gitignore");
        if (!File.Exists(ignore)) File.WriteAllText(ignore, "*\n");
        var safeId = new string(runId.Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '-').ToArray());
        var name = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + safeId + ".patch";
        var path = Path.Combine(PatchesPath(projectRoot), name);
        AtomicFile.WriteAllText(path, patch, ownerOnly: false);
        AtomicFile.WriteAllText(LastPatchPath(projectRoot), patch, ownerOnly: false);
        Prune(projectRoot);
        return path;
    }

    /// <summary>The saved patches, newest first.</summary>
    public static IReadOnlyList<string> List(string projectRoot)
    {
        var folder = PatchesPath(projectRoot);
        if (!Directory.Exists(folder)) return Array.Empty<string>();
        // Names start with the UTC time to the millisecond; two runs in one millisecond are told apart by their write time.
        return Directory.GetFiles(folder, "*.patch")
            .Select(f => (Path: f, Name: Path.GetFileName(f).Substring(0, Math.Min(19, Path.GetFileName(f).Length)), Written: File.GetLastWriteTimeUtc(f)))
            .OrderByDescending(f => f.Name, StringComparer.Ordinal).ThenByDescending(f => f.Written)
            .Select(f => f.Path).ToList();
    }

    private static void Prune(string projectRoot)
    {
        foreach (var old in List(projectRoot).Skip(Keep))
        {
            try { File.Delete(old); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    public static string NewRunId() => Guid.NewGuid().ToString("N").Substring(0, 12);
}
