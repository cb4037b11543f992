using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>Start-up import of an upstream Patchwire 0.2/0.3 users.json (SPEC §16); the lines say what happened.</summary>
public static class UpstreamRegistryImport
{
    public static IReadOnlyList<string> Run(UserRegistry registry)
    {
        var import = registry.ImportUpstreamIfPresent();
        if (import is null) return Array.Empty<string>();
        var lines = import.Notes.Select(n => $"patchwire-agent: upstream registry: {n}").ToList();
        lines.Add($"patchwire-agent: imported {import.Imported} user(s) from upstream Patchwire registry {registry.Path} (original kept as {import.CopyPath})");
        return lines;
    }
}
