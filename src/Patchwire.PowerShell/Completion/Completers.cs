using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Patchwire.PowerShell.Chat;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Completion;

/// <summary>Shared by the completers: prefix matching, quoting, and never an error on the user's screen.</summary>
internal static class CompletionText
{
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string wordToComplete, Func<string, string>? tooltip = null)
    {
        var prefix = (wordToComplete ?? "").Trim('\'', '"');
        return candidates
            .Where(c => c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(c => c, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(Quote(c), c, CompletionResultType.ParameterValue, tooltip?.Invoke(c) ?? c));
    }

    private static string Quote(string value) =>
        value.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', ',' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;

    /// <summary>The current folder of the session asking for completions (a FileSystem path, or null).</summary>
    public static string? CurrentFolder()
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            var location = ps.AddCommand("Get-Location").Invoke<PathInfo>().FirstOrDefault();
            return location?.Provider.Name == "FileSystem" ? location.ProviderPath : null;
        }
        catch (Exception) { return null; }
    }
}

/// <summary>User names from the registry on this machine (the admin side): New-, Get-, Disable-, Enable-, Reset-, Remove-PatchwireUser.</summary>
public sealed class UserNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var users = ModuleEnvironment.Registry().Load();
            return CompletionText.Matching(users.Select(u => u.Name), wordToComplete,
                name => users.First(u => u.Name == name).Disabled ? $"{name} (disabled)" : name);
        }
        catch (Exception) { return Array.Empty<CompletionResult>(); } // no registry here, or unreadable: nothing to offer
    }
}

/// <summary>
/// Project names for -Project: the name the current folder syncs as (patchwire.yml's project, else the folder name),
/// and the names of the other folders beside it that hold a patchwire.yml or a .git.
/// </summary>
public sealed class ProjectNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = new List<string>();
        var folder = CompletionText.CurrentFolder();
        if (folder is null) return Array.Empty<CompletionResult>();
        try { names.Add(ClientSettingsLoader.Load(folder).Project); }
        catch (Exception) { }
        try
        {
            var parent = Directory.GetParent(folder);
            if (parent is not null)
                foreach (var sibling in parent.EnumerateDirectories().Take(500))
                    if (File.Exists(Path.Combine(sibling.FullName, ProjectConfigFile.FileName)) || Directory.Exists(Path.Combine(sibling.FullName, ".git")))
                        names.Add(sibling.Name);
        }
        catch (Exception) { }
        return CompletionText.Matching(names.Where(n => Core.Identity.NameRules.Check(n, "project name") is null), wordToComplete);
    }
}

/// <summary>Your chat session ids, from the agent (GET /sessions) with the settings of the current folder; two seconds at most.</summary>
public sealed class ChatSessionIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var folder = CompletionText.CurrentFolder() ?? Environment.CurrentDirectory;
            var settings = ClientSettingsLoader.Load(folder);
            if (string.IsNullOrEmpty(settings.Token)) return Array.Empty<CompletionResult>();
            using var client = new AgentClient(settings, TimeSpan.FromSeconds(2));
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var sessions = Task.Run(() => ChatSessionClient.ListAsync(client, cancel.Token)).GetAwaiter().GetResult();
            return CompletionText.Matching(sessions.Select(s => s.SessionId.ToString()), wordToComplete,
                id => sessions.First(s => s.SessionId.ToString() == id) is var s ? $"{s.Project}: {s.TurnCount} turn(s), {s.Status}" : id);
        }
        catch (Exception) { return Array.Empty<CompletionResult>(); }
    }
}
