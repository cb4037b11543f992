using System.Runtime.InteropServices;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Configuration;

/// <summary>
/// The agent's state is its owner's only: umask 077 for the whole process (so every file and folder it, git or the AI
/// creates is 0600/0700), and at start the folders and files that already exist are narrowed too, whoever created
/// them first (an audit log made 0644 by someone else, a PW_HOME left 0755 by an older agent).
/// </summary>
public static class StatePermissions
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Sets the process umask to 077 (Unix); call before anything is created.</summary>
    public static void RestrictUmask()
    {
        if (OperatingSystem.IsWindows()) return;
        Umask(0x3F); // 077
    }

    /// <summary>PW_HOME, its state folders, the projects root, each user's folder and each checkout 0700; the agent's files 0600.</summary>
    public static void Restrict(AgentOptions options)
    {
        if (!OperatingSystem.IsWindows())
        {
            var folders = new List<string> { options.Home, options.StateDirectory, StateLocations.Runs(options), options.ProjectsRoot };
            foreach (var user in Subfolders(options.ProjectsRoot))
            {
                folders.Add(user);
                folders.AddRange(Subfolders(user));
            }
            foreach (var folder in folders)
                if (IsRealFolder(folder)) File.SetUnixFileMode(folder, OwnerOnlyFolder);
        }

        var files = StateLocations.Files(options).ToList();
        var runs = StateLocations.Runs(options);
        if (IsRealFolder(runs)) files.AddRange(Directory.EnumerateFiles(runs));
        foreach (var file in files)
            if (File.Exists(file) && new FileInfo(file).LinkTarget is null) OwnerOnly.Apply(file);
    }

    private static IEnumerable<string> Subfolders(string folder) =>
        IsRealFolder(folder) ? Directory.EnumerateDirectories(folder).Where(IsRealFolder) : Enumerable.Empty<string>();

    // A link is left alone: chmod would follow it to whatever it points at.
    private static bool IsRealFolder(string path) => Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null;

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
}
