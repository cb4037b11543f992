using Patchwire.Core.IO;

namespace Patchwire.PowerShell.Client;

/// <summary>$PW_HOME/env: KEY=VALUE lines (PW_TOKEN, PW_USER, PW_AGENT_URL), owner-only.</summary>
public static class EnvFile
{
    public static Dictionary<string, string> Read(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return result;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal)) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line.Substring(7).TrimStart();
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var value = line.Substring(eq + 1).Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[value.Length - 1] == value[0]) value = value.Substring(1, value.Length - 2);
            result[line.Substring(0, eq).Trim()] = value;
        }
        return result;
    }

    public static void Write(string path, IReadOnlyDictionary<string, string> values)
    {
        var lines = values.Where(kv => !string.IsNullOrEmpty(kv.Value)).Select(kv => $"{kv.Key}={kv.Value}");
        AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n", ownerOnly: true);
    }
}
