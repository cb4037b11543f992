using System.Text.Json;

namespace Patchwire.Agent.Usage;

/// <summary>What one AI run reported about itself: model and tokens (null when it did not say), and its own cost figure.</summary>
public sealed record AiUsage(string? Model, long? TokensIn, long? TokensOut, double? ReportedCostUsd)
{
    /// <summary>
    /// Reads the AI's JSON output, as <c>claude --print --output-format json</c> writes it: one object (the last JSON
    /// line of stdout) with <c>usage</c> (input tokens include cached prompt tokens), <c>total_cost_usd</c> and
    /// <c>modelUsage</c> keyed by model (the model that wrote the most output tokens is the run's model). Plain-text
    /// output gives no tokens; the model then comes from a <c>--model</c> in PW_AI_ARGS, if any.
    /// </summary>
    public static AiUsage FromOutput(string stdout, IReadOnlyList<string> aiArgs)
    {
        var argModel = ModelFromArgs(aiArgs);
        var json = LastJsonObject(stdout);
        if (json is null) return new AiUsage(argModel, null, null, null);
        using (json)
        {
            var root = json.RootElement;
            long? tokensIn = null, tokensOut = null;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                tokensIn = Number(usage, "input_tokens") + Number(usage, "cache_creation_input_tokens") + Number(usage, "cache_read_input_tokens");
                tokensOut = Number(usage, "output_tokens");
            }
            string? model = null;
            if (root.TryGetProperty("modelUsage", out var models) && models.ValueKind == JsonValueKind.Object)
                model = models.EnumerateObject()
                    .OrderByDescending(m => m.Value.ValueKind == JsonValueKind.Object ? Number(m.Value, "outputTokens") : 0)
                    .Select(m => m.Name)
                    .FirstOrDefault();
            if (model is null && root.TryGetProperty("model", out var named) && named.ValueKind == JsonValueKind.String)
                model = named.GetString();
            double? reported = root.TryGetProperty("total_cost_usd", out var cost) && cost.TryGetDouble(out var c) && c >= 0 ? c : null;
            return new AiUsage(model ?? argModel, tokensIn, tokensOut, reported);
        }
    }

    private static JsonDocument? LastJsonObject(string stdout)
    {
        var trimmed = stdout.TrimEnd();
        if (trimmed.Length == 0) return null;
        // The whole output first (pretty-printed JSON), then its last line (a JSON line after other output).
        foreach (var candidate in new[] { trimmed, trimmed.Substring(trimmed.LastIndexOf('\n') + 1) })
        {
            if (!candidate.TrimStart().StartsWith("{", StringComparison.Ordinal)) continue;
            try
            {
                var doc = JsonDocument.Parse(candidate);
                if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
                doc.Dispose();
            }
            catch (JsonException) { }
        }
        return null;
    }

    private static string? ModelFromArgs(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--model" && i + 1 < args.Count) return args[i + 1];
            if (args[i].StartsWith("--model=", StringComparison.Ordinal)) return args[i].Substring("--model=".Length);
        }
        return null;
    }

    private static long Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0 ? n : 0;
}
