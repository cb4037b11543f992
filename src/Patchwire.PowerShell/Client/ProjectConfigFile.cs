using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// patchwire.yml in upstream's format: project, remote.agentUrl, remote.token, sync.exclude. Other keys
/// (upstream's SSH fields remote.host, remote.user, remote.path, remote.port, remote.identityFile, ...) are
/// accepted and ignored. String values may use ${VAR} (and ${VAR:-fallback}); an unset variable is an error.
/// </summary>
public sealed class ProjectConfigFile
{
    public const string FileName = "patchwire.yml";
    private static readonly Regex Variable = new(@"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}", RegexOptions.CultureInvariant);

    public string Path { get; private set; } = "";
    public string? Project { get; private set; }
    public string? AgentUrl { get; private set; }
    public string? Token { get; private set; }
    public IReadOnlyList<string> Excludes { get; private set; } = Array.Empty<string>();
    /// <summary>sync.fsmonitor: true or false.</summary>
    public bool SyncFsmonitor { get; private set; }

    /// <param name="lookup">Resolves ${VAR}: null when the variable is not set.</param>
    /// <exception cref="ClientConfigurationException">Invalid YAML, a wrong type, or an unset variable; names the file and line.</exception>
    public static ProjectConfigFile Load(string path, Func<string, string?> lookup)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClientConfigurationException($"Cannot read {path}: {ex.Message}", path, null, ex);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var line = (int)ex.Start.Line;
            var reason = (ex.InnerException?.Message ?? ex.Message).Trim();
            reason = Regex.Replace(reason, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", "");
            throw new ClientConfigurationException($"{path}, line {line}: not valid YAML: {reason}", path, line, ex);
        }

        var config = new ProjectConfigFile { Path = path };
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return config; // an empty file is a file without settings
        var root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Error(path, stream.Documents[0].RootNode, "the file must be a mapping of keys (project:, remote:, sync:)");

        foreach (var (key, value) in Entries(path, root))
        {
            switch (key)
            {
                case "project":
                    config.Project = Scalar(path, "project", value, lookup);
                    var problem = Core.Identity.NameRules.Check(config.Project, "project name");
                    if (problem is not null) throw Error(path, value, problem);
                    break;
                case "remote":
                    if (IsNull(value)) break;
                    foreach (var (remoteKey, remoteValue) in Entries(path, Mapping(path, "remote", value)))
                    {
                        if (remoteKey == "agentUrl")
                        {
                            config.AgentUrl = Scalar(path, "remote.agentUrl", remoteValue, lookup);
                            if (!Uri.TryCreate(config.AgentUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                                throw Error(path, remoteValue, $"remote.agentUrl '{config.AgentUrl}' is not an http:// or https:// URL");
                        }
                        else if (remoteKey == "token") config.Token = Scalar(path, "remote.token", remoteValue, lookup);
                    }
                    break;
                case "sync":
                    if (IsNull(value)) break;
                    foreach (var (syncKey, syncValue) in Entries(path, Mapping(path, "sync", value)))
                    {
                        if (syncKey == "fsmonitor" && !IsNull(syncValue))
                        {
                            var flag = Scalar(path, "sync.fsmonitor", syncValue, lookup);
                            config.SyncFsmonitor = flag switch
                            {
                                "true" or "True" or "yes" => true,
                                "false" or "False" or "no" => false,
                                _ => throw Error(path, syncValue, $"sync.fsmonitor must be true or false, got '{flag}'"),
                            };
                            continue;
                        }
                        if (syncKey != "exclude" || IsNull(syncValue)) continue;
                        if (syncValue is not YamlSequenceNode list)
                            throw Error(path, syncValue, "sync.exclude must be a list, for example:\n  exclude:\n    - node_modules/\n    - '*.log'");
                        config.Excludes = list.Children.Select(item => Scalar(path, "each sync.exclude entry", item, lookup)).Where(s => s.Length > 0).ToList();
                    }
                    break;
            }
        }
        return config;
    }

    private static IEnumerable<(string Key, YamlNode Value)> Entries(string path, YamlMappingNode mapping)
    {
        foreach (var entry in mapping.Children)
        {
            if (entry.Key is not YamlScalarNode { Value: { } key })
                throw Error(path, entry.Key, "keys must be plain names");
            yield return (key, entry.Value);
        }
    }

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" } scalar && scalar.Style == YamlDotNet.Core.ScalarStyle.Plain;

    private static YamlMappingNode Mapping(string path, string what, YamlNode node) =>
        node as YamlMappingNode ?? throw Error(path, node, $"{what} must be a mapping of keys");

    private static string Scalar(string path, string what, YamlNode node, Func<string, string?> lookup)
    {
        if (node is not YamlScalarNode scalar)
            throw Error(path, node, $"{what} must be a single value, not a {(node is YamlSequenceNode ? "list" : "mapping")}");
        var raw = scalar.Value ?? "";
        return Variable.Replace(raw, m =>
        {
            var name = m.Groups[1].Value;
            var value = lookup(name);
            if (!string.IsNullOrEmpty(value)) return value!;
            if (m.Groups[2].Success) return m.Groups[2].Value;
            throw Error(path, node, $"{what} uses ${{{name}}}, but the variable {name} is not set. Set it in the environment (or in $PW_HOME/env), or write ${{{name}:-default}}");
        });
    }

    private static ClientConfigurationException Error(string path, YamlNode node, string message)
    {
        var line = (int)node.Start.Line;
        return new ClientConfigurationException($"{path}, line {line}: {message}", path, line);
    }
}
