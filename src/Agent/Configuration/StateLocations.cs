namespace Patchwire.Agent.Configuration;

/// <summary>
/// Where the agent keeps its state, named once: for the start-up check (can the agent write there?) and for the
/// permissions it narrows to its owner.
/// </summary>
public static class StateLocations
{
    /// <summary>The folders the agent writes into, each with the setting that places it; the audit log's folder last.</summary>
    public static IReadOnlyList<(string Setting, string Folder)> WrittenFolders(AgentOptions options) =>
    [
        ("PW_HOME", options.Home),
        ("PW_PROJECTS_ROOT", options.ProjectsRoot),
        ("PW_USERS_FILE", Path.GetDirectoryName(Path.GetFullPath(options.UsersFile))!),
        ("PW_AUDIT_LOG", Path.GetDirectoryName(Path.GetFullPath(options.AuditLog))!),
    ];

    /// <summary>The agent's own files: the user registry, the chat sessions, the audit log and its rotated files.</summary>
    public static IEnumerable<string> Files(AgentOptions options)
    {
        yield return options.UsersFile;
        yield return options.SessionsFile;
        yield return options.AuditLog;
        for (var i = 1; i <= options.AuditLogMaxFiles; i++) yield return options.AuditLog + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The folder of detached-run and journal files under the state directory.</summary>
    public static string Runs(AgentOptions options) => Path.Combine(options.StateDirectory, "runs");
}
