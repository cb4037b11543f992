using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Git;

/// <summary>
/// Keeps a checkout's <c>.git</c> the way the agent set it up, whatever an AI run wrote there. Before the AI starts,
/// <see cref="Take"/> records the repository's <c>.git</c> as the agent wants it: the config rewritten to the agent's
/// canonical form (<see cref="GitConfigText.Canonical"/>), the hooks and info files as they are (the agent never
/// runs hooks, but a person running git in the checkout would), HEAD, and the alternates file. After the AI, and
/// before any git command, <see cref="Restore"/> puts all of that back and removes what the AI added:
/// <c>config.worktree</c>, <c>commondir</c>, new hooks and info files, alternates, an index or HEAD that is not a
/// regular file, and a <c>.git</c> file, link or other folder put in place of the real one (on Linux the real one is
/// found again through a handle held across the run, wherever the AI moved it).
/// </summary>
public sealed class GitDirGuard : IDisposable
{
    /// <summary>Per file, at most this much is kept of hooks and info files (larger ones are not the agent's).</summary>
    private const int MaxKeptFileBytes = 1024 * 1024;

    private static readonly string[] KeptFolders = { "hooks", "info" };
    private static readonly string[] AlternatesFiles = { "objects/info/alternates", "objects/info/http-alternates" };
    private static readonly string[] RemovedFiles = { "config.worktree", "commondir", "gitdir" };

    private readonly string _checkout;
    private readonly SafeDirectoryHandle? _handle;

    private GitDirGuard(string checkout, GitDirState state, SafeDirectoryHandle? handle)
    {
        _checkout = checkout;
        State = state;
        _handle = handle;
    }

    public GitDirState State { get; }

    public static bool IsFileOrLink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return true;
        return info.Exists; // FileInfo.Exists is false for a folder
    }

    /// <summary>True when the checkout has its own .git directory (not a file or a link that could lead elsewhere).</summary>
    public static bool HasOwnRepository(string checkout)
    {
        var dotGit = new DirectoryInfo(Path.Combine(checkout, ".git"));
        return dotGit.Exists && dotGit.LinkTarget is null;
    }

    /// <summary>
    /// Before an AI run: writes the canonical config now (so the run starts from it too) and records the state to
    /// come back to. The caller keeps the guard until <see cref="Restore"/> has run.
    /// </summary>
    public static GitDirGuard Take(string checkout)
    {
        var dotGit = Path.Combine(checkout, ".git");
        if (!HasOwnRepository(checkout))
            throw new GitException($"{dotGit} is not a folder; the agent only runs in a checkout that owns its repository");
        var state = GitDirState.Read(dotGit);
        WriteConfig(dotGit, state.Config);
        return new GitDirGuard(checkout, state, SafeDirectoryHandle.TryOpen(dotGit));
    }

    /// <summary>After the AI run, before any git command: the checkout's .git as recorded by <see cref="Take"/>.</summary>
    public void Restore() => Restore(_checkout, State, _handle);

    /// <summary>Same, from a state saved with the run journal (crash recovery; no handle, so a moved .git is not found).</summary>
    public static void Restore(string checkout, GitDirState state) => Restore(checkout, state, null);

    /// <summary>
    /// Without a saved state (recovery of a run whose AI had not started; the start of a sync): the config rewritten
    /// to its canonical form and the files that redirect the repository removed.
    /// </summary>
    public static void Canonicalize(string checkout)
    {
        var dotGit = Path.Combine(checkout, ".git");
        if (!HasOwnRepository(checkout)) throw new GitException($"{dotGit} is not a folder");
        WriteConfig(dotGit, GitDirState.Read(dotGit).Config);
        foreach (var relative in RemovedFiles) RemoveEntry(Path.Combine(dotGit, relative));
    }

    public void Dispose() => _handle?.Dispose();

    private static void Restore(string checkout, GitDirState state, SafeDirectoryHandle? handle)
    {
        var dotGit = Path.Combine(checkout, ".git");
        PutRepositoryBack(dotGit, handle);
        RemoveLinks(dotGit);
        WriteConfig(dotGit, state.Config);
        foreach (var relative in RemovedFiles) RemoveEntry(Path.Combine(dotGit, relative));
        foreach (var relative in AlternatesFiles)
        {
            var path = Path.Combine(dotGit, relative);
            if (state.Files.TryGetValue(relative, out var kept)) WriteKept(path, kept);
            else RemoveEntry(path);
        }
        foreach (var folder in KeptFolders) RestoreFolder(dotGit, folder, state);
        var head = Path.Combine(dotGit, "HEAD");
        if (state.Head is not null && (!IsRegularFile(head) || File.ReadAllText(head) != state.Head))
        {
            RemoveEntry(head);
            AtomicWrite(head, Encoding.UTF8.GetBytes(state.Head), executable: false);
        }
        var index = Path.Combine(dotGit, "index");
        if (Path.Exists(index) && !IsRegularFile(index)) RemoveEntry(index); // git makes a new one on reset
    }

    /// <summary>
    /// git never makes links inside .git, and writing through one (a ref, a reflog, objects/info) would write into
    /// someone else's repository: links among .git's own entries and in refs/, logs/, objects/info/ and objects/pack/
    /// are removed (the links, never their targets). A linked objects folder cannot be undone that way.
    /// </summary>
    private static void RemoveLinks(string dotGit)
    {
        var objects = Path.Combine(dotGit, "objects");
        if (new DirectoryInfo(objects).LinkTarget is not null)
            throw new GitException($"{objects} was replaced by a link during the run; the checkout's repository needs repair by hand");
        foreach (var entry in new DirectoryInfo(dotGit).EnumerateFileSystemInfos())
            if (entry.LinkTarget is not null) RemoveEntry(entry.FullName);
        foreach (var folder in new[] { "refs", "logs", "objects/info", "objects/pack" })
        {
            var root = new DirectoryInfo(Path.Combine(dotGit, folder));
            if (root.LinkTarget is not null) { RemoveEntry(root.FullName); continue; }
            if (root.Exists) RemoveLinksUnder(root);
        }
    }

    private static void RemoveLinksUnder(DirectoryInfo folder)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).ToList())
        {
            if (entry.LinkTarget is not null) RemoveEntry(entry.FullName);
            else if (entry is DirectoryInfo inner) RemoveLinksUnder(inner);
        }
    }

    /// <summary>Makes .git the folder the agent set up again: an impostor (file, link, other folder) is removed and the real one moved back.</summary>
    private static void PutRepositoryBack(string dotGit, SafeDirectoryHandle? handle)
    {
        var original = handle?.CurrentPath();
        if (handle is not null && original is null)
            throw new GitException($"the checkout's repository ({dotGit}) was deleted during the run");
        var expected = ProjectPathsRealPath(dotGit);
        var isOwnFolder = Directory.Exists(dotGit) && new DirectoryInfo(dotGit).LinkTarget is null;
        if (original is null)
        {
            if (!isOwnFolder) throw new GitException($"{dotGit} was replaced by a file or a link during the run; the agent will not use it");
            return;
        }
        if (isOwnFolder && string.Equals(ProjectPathsRealPath(original), expected, StringComparison.Ordinal)) return;
        if (Path.Exists(dotGit) || new FileInfo(dotGit).LinkTarget is not null) RemoveEntry(dotGit);
        try { Directory.Move(original, dotGit); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GitException($"the checkout's repository was moved to {original} during the run and could not be moved back: {ex.Message}");
        }
    }

    private static string ProjectPathsRealPath(string path) => Checkouts.ProjectPaths.RealPath(path).TrimEnd('/');

    private static void RestoreFolder(string dotGit, string folder, GitDirState state)
    {
        var root = Path.Combine(dotGit, folder);
        var prefix = folder + "/";
        var wanted = state.Files.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        if (new FileInfo(root).LinkTarget is not null || File.Exists(root)) RemoveEntry(root);
        if (wanted.Count == 0)
        {
            if (Directory.Exists(root)) RemoveEntry(root);
            return;
        }
        if (Directory.Exists(root))
        {
            foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
            {
                var relative = prefix + entry.Name;
                if (!wanted.TryGetValue(relative, out var kept) || !IsRegularFile(entry.FullName) || !SameContent(entry.FullName, kept))
                    RemoveEntry(entry.FullName);
            }
        }
        foreach (var (relative, kept) in wanted)
        {
            var path = Path.Combine(dotGit, relative);
            if (!File.Exists(path)) WriteKept(path, kept);
        }
    }

    private static bool SameContent(string path, KeptFile kept)
    {
        var info = new FileInfo(path);
        if (info.Length != kept.Content.Length) return false;
        if (!OperatingSystem.IsWindows() && info.UnixFileMode.HasFlag(UnixFileMode.UserExecute) != kept.Executable) return false;
        return File.ReadAllBytes(path).AsSpan().SequenceEqual(kept.Content);
    }

    private static void WriteKept(string path, KeptFile kept)
    {
        RemoveEntry(path);
        var folder = Path.GetDirectoryName(path)!;
        if (new FileInfo(folder).LinkTarget is not null || File.Exists(folder)) RemoveEntry(folder);
        Directory.CreateDirectory(folder);
        AtomicWrite(path, kept.Content, kept.Executable);
    }

    private static void WriteConfig(string dotGit, string config)
    {
        var path = Path.Combine(dotGit, "config");
        if (IsRegularFile(path) && File.ReadAllText(path) == config) return;
        RemoveEntry(path);
        AtomicWrite(path, Encoding.UTF8.GetBytes(config), executable: false);
    }

    private static void AtomicWrite(string path, byte[] content, bool executable)
    {
        var temp = path + ".patchwire-" + Guid.NewGuid().ToString("N")[..8];
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
        using (var stream = new FileStream(temp, options)) stream.Write(content);
        File.Move(temp, path, overwrite: true);
    }

    internal static bool IsRegularFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null) return false;
        // FileInfo.Exists is true for FIFOs, sockets and devices too, and reading a FIFO blocks: ask lstat.
        return LinuxStat.IsRegular(path);
    }

    /// <summary>Removes a file, link (never its target) or folder (recursively, links inside removed as links).</summary>
    private static void RemoveEntry(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || (info.Exists && (info.Attributes & FileAttributes.Directory) == 0))
        {
            File.Delete(path);
            return;
        }
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (info.Exists) File.Delete(path);
    }
}

/// <summary>What <see cref="GitDirGuard"/> restores; saved beside the run's journal entry so crash recovery has it too.</summary>
public sealed class GitDirState
{
    public string Config { get; init; } = "";
    public string? Head { get; init; }
    public Dictionary<string, KeptFile> Files { get; init; } = new(StringComparer.Ordinal);

    internal static GitDirState Read(string dotGit)
    {
        var configPath = Path.Combine(dotGit, "config");
        string? original = null;
        if (GitDirGuard.IsRegularFile(configPath))
        {
            try { original = File.ReadAllText(configPath); }
            catch (IOException) { }
        }
        var files = new Dictionary<string, KeptFile>(StringComparer.Ordinal);
        foreach (var folder in new[] { "hooks", "info" })
        {
            var root = new DirectoryInfo(Path.Combine(dotGit, folder));
            if (!root.Exists || root.LinkTarget is not null) continue;
            foreach (var file in root.EnumerateFiles())
                if (Keepable(file.FullName)) files[folder + "/" + file.Name] = KeptFile.Read(file.FullName);
        }
        var alternates = Path.Combine(dotGit, "objects", "info", "alternates");
        if (Keepable(alternates)) files["objects/info/alternates"] = KeptFile.Read(alternates);
        var headPath = Path.Combine(dotGit, "HEAD");
        var head = GitDirGuard.IsRegularFile(headPath) ? File.ReadAllText(headPath) : null;
        return new GitDirState { Config = GitConfigText.Canonical(original), Head = head, Files = files };
    }

    private static bool Keepable(string path) => GitDirGuard.IsRegularFile(path) && new FileInfo(path).Length <= 1024 * 1024;

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this));

    public static GitDirState? Load(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<GitDirState>(File.ReadAllText(path)) : null; }
        catch (Exception ex) when (ex is JsonException or IOException) { return null; }
    }
}

public sealed record KeptFile(byte[] Content, bool Executable)
{
    internal static KeptFile Read(string path) =>
        new(File.ReadAllBytes(path), !OperatingSystem.IsWindows() && File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));
}

/// <summary>lstat's file type, which .NET does not expose (a FIFO, socket or device looks like a plain file to FileInfo).</summary>
internal static class LinuxStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const ushort TypeMask = 0xF000;
    private const ushort RegularType = 0x8000;

    // struct statx has one layout on every Linux architecture; stx_mode is the 16-bit field at offset 28.
    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    /// <summary>True for a regular file (not a link, folder, FIFO, socket or device). Off Linux: whatever FileInfo says.</summary>
    public static bool IsRegular(string path)
    {
        if (!OperatingSystem.IsLinux()) return File.Exists(path);
        var buffer = new byte[256];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0) return false;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return File.Exists(path);
        }
        var mode = BitConverter.ToUInt16(buffer, 28);
        return (mode & TypeMask) == RegularType;
    }
}

/// <summary>An open handle on a folder (Linux): wherever the folder is moved, /proc/self/fd/N names its current path.</summary>
internal sealed class SafeDirectoryHandle : IDisposable
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;
    private int _fd;

    private SafeDirectoryHandle(int fd) => _fd = fd;

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    private static extern int Close(int fd);

    public static SafeDirectoryHandle? TryOpen(string path)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/fd")) return null;
        var fd = Open(path, ORdOnly | OCloExec);
        return fd < 0 ? null : new SafeDirectoryHandle(fd);
    }

    /// <summary>The folder's path now, or null when it was deleted.</summary>
    public string? CurrentPath()
    {
        var target = new FileInfo($"/proc/self/fd/{_fd}").LinkTarget;
        if (target is null || target.EndsWith(" (deleted)", StringComparison.Ordinal) || !Directory.Exists(target)) return null;
        return target;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Close(fd);
    }
}
