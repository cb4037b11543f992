namespace Patchwire.Agent.Configuration;

/// <summary>
/// Before the port opens: every folder the agent writes to must be readable and writable by the user running it.
/// Otherwise the agent would start, say nothing, and fail every request later (a PW_PROJECTS_ROOT it cannot list,
/// an audit log it cannot append to). The check lists the folder and writes and deletes a probe file in it; a folder
/// that does not exist yet is not created here (start-up creates it after the registry check) but its nearest
/// existing parent must take the probe. The audit log's folder is only warned about: a run whose audit line cannot be written still
/// returns its result (the line is logged as an error), so an unwritable log must not keep the whole team from working.
/// </summary>
public static class StateFolderCheck
{
    /// <returns>Warnings to print (the audit log's folder); empty when all is well.</returns>
    /// <exception cref="ConfigurationException">A folder cannot be created, listed or written; the message is one line naming the setting.</exception>
    public static IReadOnlyList<string> Run(AgentOptions options)
    {
        var folders = StateLocations.WrittenFolders(options);
        foreach (var (setting, folder) in folders.Take(folders.Count - 1)) Check(setting, folder);
        try
        {
            var (auditSetting, auditFolder) = folders[^1];
            Check(auditSetting, auditFolder);
            return Array.Empty<string>();
        }
        catch (ConfigurationException ex)
        {
            return new[] { "warning: " + ex.Message + " Until then runs go on, but their audit lines are lost." };
        }
    }

    private static void Check(string setting, string folder)
    {
        var existing = folder;
        var probe = "";
        try
        {
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
            {
                if (File.Exists(existing)) throw new IOException($"'{existing}' is a file, not a folder.");
                existing = parent;
            }
            probe = Path.Combine(existing, $".patchwire-probe-{Environment.ProcessId}");
            using (Directory.EnumerateFileSystemEntries(existing).GetEnumerator()) { }
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
