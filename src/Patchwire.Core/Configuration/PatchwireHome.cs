using System.Collections;

namespace Patchwire.Core.Configuration;

/// <summary>Where state lives: PW_HOME (default ~/.patchwire) and the files under it, overridable one by one.</summary>
public sealed class PatchwireHome
{
    public PatchwireHome(string home) => Home = Path.GetFullPath(home);

    public string Home { get; }

    public static PatchwireHome FromEnvironment(IDictionary? env = null)
    {
        var home = Get(env, "PW_HOME");
        if (string.IsNullOrWhiteSpace(home))
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".patchwire");
        return new PatchwireHome(ExpandHome(home!));
    }

    public string UsersFile(IDictionary? env = null) => PathOr(env, "PW_USERS_FILE", "users.json");
    public string AuditLog(IDictionary? env = null) => PathOr(env, "PW_AUDIT_LOG", "agent.log");
    public string ProjectsRoot(IDictionary? env = null) => PathOr(env, "PW_PROJECTS_ROOT", "projects");
    public string EnvFile => Path.Combine(Home, "env");
    public string SessionsFile => Path.Combine(Home, "agent-sessions.json");

    /// <summary>A variable's value; an empty value counts as unset (as after PW_X= in a shell, or $env:PW_X = '').</summary>
    public static string? Get(IDictionary? env, string name)
    {
        var value = env is null ? Environment.GetEnvironmentVariable(name) : env.Contains(name) ? env[name] as string : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public static string ExpandHome(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path.Substring(2) : "");
        return path;
    }

    private string PathOr(IDictionary? env, string variable, string fileName)
    {
        var value = Get(env, variable);
        return string.IsNullOrWhiteSpace(value) ? Path.Combine(Home, fileName) : Path.GetFullPath(ExpandHome(value!));
    }
}
