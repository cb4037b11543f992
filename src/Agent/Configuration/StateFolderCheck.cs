namespace Patchwire.Agent.Configuration;

/// <summary>
/// Before the port opens: every folder the agent writes to must be readable and writable by the user running it.
/// Otherwise the agent would start, say nothing, and fail every request later (a PW_PROJECTS_ROOT it cannot list,
/// an audit log it cannot append to). The check creates the folder if missing, lists it, and writes and deletes a
/// probe file in it.
/// </summary>
public static class StateFolderCheck
{
    /// <exception cref="ConfigurationException">A folder cannot be created, listed or written; the message is one line naming the setting.</exception>
    public static void Run(AgentOptions options)
    {
        Check("PW_HOME", options.Home);
        Check("PW_PROJECTS_ROOT", options.ProjectsRoot);
        Check("PW_USERS_FILE", Path.GetDirectoryName(Path.GetFullPath(options.UsersFile))!);
        Check("PW_AUDIT_LOG", Path.GetDirectoryName(Path.GetFullPath(options.AuditLog))!);
    }

    private static void Check(string setting, string folder)
    {
        var probe = Path.Combine(folder, $".patchwire-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);
            using (Directory.EnumerateFileSystemEntries(folder).GetEnumerator()) { }
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new ConfigurationException(
                $"the folder {folder} ({setting}) is not readable and writable by user '{Environment.UserName}': {ex.Message} " +
                $"Fix its owner or permissions, or point {setting} at another folder.");
        }
    }
}
