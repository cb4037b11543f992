using System.Net.Http;
using System.Text.Json;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Doctor;

/// <summary>One line of 'patchwire doctor'.</summary>
public sealed class PatchwireCheck
{
    public string Check { get; set; } = "";
    public bool Passed { get; set; }
    public string Message { get; set; } = "";
    /// <summary>PASS or FAIL, as 'patchwire doctor' prints it.</summary>
    public string Result => Passed ? "PASS" : "FAIL";
    public override string ToString() => $"{Result} {Check}: {Message}";

    /// <summary>The text broken into lines of at most <paramref name="width"/> characters at spaces (a longer word is cut).</summary>
    public static string WrapWords(string text, int width)
    {
        width = Math.Max(20, width);
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (var word in (text ?? "").Split(' '))
        {
            var rest = word;
            while (rest.Length > width)
            {
                if (line.Length > 0) { lines.Add(line.ToString()); line.Clear(); }
                lines.Add(rest.Substring(0, width));
                rest = rest.Substring(width);
            }
            if (line.Length > 0 && line.Length + 1 + rest.Length > width) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(rest);
        }
        if (line.Length > 0) lines.Add(line.ToString());
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Checks everything an ask needs, in order, each with a message a person can act on: git, the configuration,
/// the agent's /health, the token (GET /me), and the project folder. A check that cannot run because an earlier
/// one failed fails too, saying which.
/// </summary>
public static class ConnectionDoctor
{
    public const string Git = "git";
    public const string Configuration = "configuration";
    public const string Agent = "agent";
    public const string Token = "token";
    public const string Project = "project";

    public static async Task<IReadOnlyList<PatchwireCheck>> RunAsync(string folder, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = new List<PatchwireCheck>();
        void Add(string check, bool passed, string message) => checks.Add(new PatchwireCheck { Check = check, Passed = passed, Message = message });

        var gitFound = false;
        try
        {
            // Not in the folder: it may not exist, and git would then "not be found" (the process cannot start there).
            var version = GitCli.Run(Path.GetTempPath(), "--version");
            gitFound = version.Success;
            Add(Git, version.Success, version.Success ? version.Stdout.Trim() : "'git --version' failed: " + version.Stderr.Trim());
        }
        catch (InvalidOperationException ex) { Add(Git, false, ex.Message); }

        ClientSettings? settings = null;
        try
        {
            settings = ClientSettingsLoader.Load(folder);
            var from = settings.ConfigFile is null ? $"no {ProjectConfigFile.FileName}, folder name" : settings.ConfigFile;
            Add(Configuration, true, $"project '{settings.Project}' ({from}); agent {settings.AgentUrl} (from {Source(settings, nameof(ClientSettings.AgentUrl))}); env file {settings.EnvFile}");
        }
        catch (ClientConfigurationException ex) { Add(Configuration, false, ex.Message); }

        if (settings is null)
        {
            Add(Agent, false, "not checked: fix the configuration first");
            Add(Token, false, "not checked: fix the configuration first");
            Add(Project, false, "not checked: fix the configuration first");
            return checks;
        }

        using var client = new AgentClient(settings, timeout);
        var agentUp = false;
        try
        {
            using var health = await client.GetJsonAsync("/health", cancellationToken).ConfigureAwait(false);
            var root = health.RootElement;
            var version = root.TryGetProperty("version", out var v) ? v.GetString() : "?";
            var aiFound = !root.TryGetProperty("claude", out var ai) || !ai.TryGetProperty("found", out var found) || found.ValueKind != JsonValueKind.False;
            agentUp = true;
            Add(Agent, aiFound, aiFound
                ? $"{settings.AgentUrl} is up (version {version})"
                : $"{settings.AgentUrl} is up (version {version}) but cannot find its AI command (PW_AI_BIN); ask your admin to install it on the box");
        }
        catch (AgentClientException ex) { Add(Agent, false, ex.Message); }
        catch (JsonException) { Add(Agent, false, $"{settings.AgentUrl} answered /health with something that is not JSON; is PW_AGENT_URL pointing at a Patchwire agent?"); }
        catch (HttpRequestException ex) { Add(Agent, false, $"{settings.AgentUrl}: {ex.Message}"); }

        if (string.IsNullOrEmpty(settings.Token))
            Add(Token, false, $"no token: PW_TOKEN is not set and {settings.EnvFile} has none; run 'patchwire setup --token pw_...'");
        else if (!agentUp)
            Add(Token, false, "not checked: the agent is not reachable");
        else
        {
            try
            {
                using var me = await client.GetJsonAsync("/me", cancellationToken).ConfigureAwait(false);
                var user = me.RootElement.TryGetProperty("user", out var u) ? u.GetString() : null;
                var note = settings.User is not null && user is not null && settings.User != user
                    ? $" (PW_USER says '{settings.User}'; run 'patchwire setup' again to fix it)" : "";
                Add(Token, true, $"accepted for user '{user}' (from {Source(settings, nameof(ClientSettings.Token))}){note}");
            }
            catch (AgentClientException ex) { Add(Token, false, ex.Message); }
            catch (JsonException) { Add(Token, false, "GET /me did not answer JSON"); }
        }

        Add(Project, ProjectCheck(settings, gitFound, out var projectMessage), projectMessage);
        return checks;
    }

    private static bool ProjectCheck(ClientSettings settings, bool gitFound, out string message)
    {
        if (!Directory.Exists(settings.ProjectRoot)) { message = $"the folder {settings.ProjectRoot} does not exist"; return false; }
        if (NameRules.Check(settings.Project, "project name") is { } bad) { message = bad; return false; }
        if (!gitFound) { message = "not checked: git is needed to sync"; return false; }
        var status = GitCli.Run(settings.ProjectRoot, "status", "--porcelain", "--untracked-files=no");
        if (status.Success)
        {
            message = $"'{settings.Project}' at {settings.ProjectRoot} is a git working tree and can be synced";
            return true;
        }
        if (ClientSettingsLoader.FindGitTopLevel(settings.ProjectRoot) is null)
        {
            message = $"'{settings.Project}' at {settings.ProjectRoot} is a plain folder (not a git repository): it syncs through a private repository under $PW_HOME/sync; 'git init' there to get 3-way merges when applying";
            return true;
        }
        message = $"git cannot read the repository at {settings.ProjectRoot}: {status.Stderr.Trim()}";
        return false;
    }

    private static string Source(ClientSettings settings, string key) => settings.Sources.TryGetValue(key, out var s) ? s : "?";
}
