using System.Globalization;
using Patchwire.Agent.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Patchwire.Agent.Usage;

/// <summary>
/// PW_PRICING_FILE: USD per million tokens, per model, read once at start.
/// <code>
/// claude-sonnet-4-5: { input: 3.00, output: 15.00 }
/// claude-haiku-4-5:
///   input: 1.00
///   output: 5.00
/// </code>
/// A model matches its key exactly, else the longest key that is a prefix of it followed by '-' (so a dated id such as
/// claude-sonnet-4-5-20250929 finds claude-sonnet-4-5). A file that cannot be read stops the agent naming file and line.
/// </summary>
public sealed class PricingTable
{
    public const string Variable = "PW_PRICING_FILE";

    public sealed record Price(decimal InputPerMillion, decimal OutputPerMillion);

    private readonly Dictionary<string, Price> _prices;

    private PricingTable(string? path, Dictionary<string, Price> prices)
    {
        Path = path;
        _prices = prices;
    }

    /// <summary>The file the prices came from; null when PW_PRICING_FILE is not set.</summary>
    public string? Path { get; }
    public int Count => _prices.Count;

    public static PricingTable None { get; } = new(null, new Dictionary<string, Price>(StringComparer.Ordinal));

    public static PricingTable FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(path) ? None : Load(System.IO.Path.GetFullPath(path));
    }

    /// <exception cref="ConfigurationException">The file is missing, not YAML, or not a mapping of model to prices.</exception>
    public static PricingTable Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{Variable} '{path}' cannot be read: {ex.Message}");
        }
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException ex)
        {
            throw new ConfigurationException($"{Variable} '{path}' line {ex.Start.Line}: not valid YAML: {FirstLine(ex.Message).TrimEnd('.')}.");
        }
        var prices = new Dictionary<string, Price>(StringComparer.Ordinal);
        if (stream.Documents.Count == 0) return new PricingTable(path, prices);
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Bad(path, stream.Documents[0].RootNode, "expected a mapping of model name to {input, output} USD per million tokens");
        foreach (var (keyNode, valueNode) in root.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } model })
                throw Bad(path, keyNode, "a model name must be a plain text key");
            if (valueNode is not YamlMappingNode fields)
                throw Bad(path, valueNode, $"model '{model}' needs input and output prices, e.g. {{ input: 3.00, output: 15.00 }}");
            decimal? input = null, output = null;
            foreach (var (fieldKey, fieldValue) in fields.Children)
            {
                var name = (fieldKey as YamlScalarNode)?.Value;
                if (name is not ("input" or "output"))
                    throw Bad(path, fieldKey, $"model '{model}': unknown field '{name}' (expected input and output, USD per million tokens)");
                if (fieldValue is not YamlScalarNode { Value: { } raw } ||
                    !decimal.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    throw Bad(path, fieldValue, $"model '{model}': {name} must be a number of USD per million tokens, 0 or more");
                if (name == "input") input = number; else output = number;
            }
            if (input is null || output is null)
                throw Bad(path, valueNode, $"model '{model}' needs both input and output prices");
            if (!prices.TryAdd(model, new Price(input.Value, output.Value)))
                throw Bad(path, keyNode, $"model '{model}' is listed twice");
        }
        return new PricingTable(path, prices);
    }

    public Price? Find(string? model)
    {
        if (model is null) return null;
        if (_prices.TryGetValue(model, out var exact)) return exact;
        return _prices
            .Where(p => model.StartsWith(p.Key + "-", StringComparison.Ordinal))
            .OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value)
            .FirstOrDefault();
    }

    private static ConfigurationException Bad(string path, YamlNode node, string what) =>
        new($"{Variable} '{path}' line {node.Start.Line}: {what}.");

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
