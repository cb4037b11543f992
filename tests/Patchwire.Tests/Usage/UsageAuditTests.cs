using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Usage;

/// <summary>/ask audit lines carry model, tokens and cost (issue 12, item 5), from the AI's JSON output and PW_PRICING_FILE.</summary>
public sealed class UsageAuditTests
{
    /// <summary>A stand-in printing what claude --print --output-format json prints: one result object.</summary>
    private const string JsonAi = """
        cat >/dev/null
        echo changed >> src/app.txt
        cat <<'JSON'
        {"type":"result","subtype":"success","is_error":false,"result":"done","session_id":"s1","total_cost_usd":0.0421,
         "usage":{"input_tokens":1000,"cache_creation_input_tokens":200,"cache_read_input_tokens":800,"output_tokens":500},
         "modelUsage":{"claude-haiku-4-5-20251001":{"inputTokens":10,"outputTokens":5},"claude-sonnet-4-5-20250929":{"inputTokens":2000,"outputTokens":495}}}
        JSON
        """;

    private static async Task<JsonElement> AskOnceAsync(RunsTestBed bed)
    {
        bed.CreateCheckout("ana", "team-app");
        using var client = bed.Client("ana");
        await using var ask = await AskStream.RunAsync(client, new { prompt = "hi", project = "team-app" });
        Assert.Equal("result", ask.Final.GetProperty("type").GetString());
        var line = Assert.Single(File.ReadAllLines(Path.Combine(bed.Home, "agent.log")));
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private static string WritePricing(string folder, string yaml)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "pricing.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Tokens_and_model_come_from_the_ai_json_and_cost_from_the_pricing_file()
    {
        using var temp = new TempDirectory();
        var pricing = WritePricing(temp.Path, """
            # USD per million tokens
            claude-sonnet-4-5: { input: 3.00, output: 15.00 }
            claude-sonnet-4:
              input: 99
              output: 99
            """);
        await using var bed = await RunsTestBed.StartAsync(JsonAi, new Dictionary<string, string?> { ["PW_PRICING_FILE"] = pricing });
        Assert.Contains(bed.Agent.Output, l => l == $"pricing: 2 model(s) from {pricing}");
        var line = await AskOnceAsync(bed);
        Assert.Equal("claude-sonnet-4-5-20250929", line.GetProperty("model").GetString()); // most output tokens; longest matching key
        Assert.Equal(2000, line.GetProperty("tokens_in").GetInt64()); // cached prompt tokens included
        Assert.Equal(500, line.GetProperty("tokens_out").GetInt64());
        Assert.Equal(0.0135, line.GetProperty("cost_usd").GetDouble(), 9); // 2000 × 3 / 1e6 + 500 × 15 / 1e6
        Assert.Equal("pricing_file", line.GetProperty("cost_source").GetString());

        // The Core reader gives them back typed.
        var entry = new AuditReader(Path.Combine(bed.Home, "agent.log")).Read(new AuditQuery()).Single().Entry;
        Assert.Equal(("claude-sonnet-4-5-20250929", 2000L, 500L, "pricing_file"), (entry.Model, entry.TokensIn!.Value, entry.TokensOut!.Value, entry.CostSource));
        Assert.Equal(0.0135, entry.CostUsd!.Value, 9);
    }

    [Fact]
    public async Task A_model_missing_from_the_pricing_file_costs_0_with_cost_source_unknown_model()
    {
        using var temp = new TempDirectory();
        var pricing = WritePricing(temp.Path, "gpt-5: { input: 1.25, output: 10 }\n");
        await using var bed = await RunsTestBed.StartAsync(JsonAi, new Dictionary<string, string?> { ["PW_PRICING_FILE"] = pricing });
        var line = await AskOnceAsync(bed);
        Assert.Equal(0, line.GetProperty("cost_usd").GetDouble());
        Assert.Equal("unknown_model", line.GetProperty("cost_source").GetString());
        Assert.Equal(500, line.GetProperty("tokens_out").GetInt64());
    }

    [Fact]
    public async Task Without_a_pricing_file_the_ai_reported_cost_is_kept()
    {
        await using var bed = await RunsTestBed.StartAsync(JsonAi);
        var line = await AskOnceAsync(bed);
        Assert.Equal(0.0421, line.GetProperty("cost_usd").GetDouble(), 9);
        Assert.Equal("ai_reported", line.GetProperty("cost_source").GetString());
    }

    [Fact]
    public async Task Plain_text_output_gives_no_tokens_and_the_model_comes_from_the_ai_arguments()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null; echo changed >> src/app.txt; echo 'I changed it.'");
        bed.Agent.Environment["PW_AI_ARGS"] = $"'{bed.ScriptPath}' --model claude-opus-4-1";
        await bed.RestartAsync();
        var line = await AskOnceAsync(bed);
        Assert.Equal("claude-opus-4-1", line.GetProperty("model").GetString());
        Assert.False(line.TryGetProperty("tokens_in", out _));
        Assert.Equal(0, line.GetProperty("cost_usd").GetDouble());
        Assert.Equal("no_usage", line.GetProperty("cost_source").GetString());
    }

    public static TheoryData<string, int, string> BadPricing => new()
    {
        { "claude-sonnet-4-5: { input: 3.00, output: 15.00 }\nclaude-haiku:\n  input: 1\n output: 2\nx: y\n", 4, "not valid YAML" },
        { "claude-sonnet-4-5:\n  input: 3.00\n  output: lots\n", 3, "output must be a number" },
        { "claude-sonnet-4-5:\n  input: -3\n  output: 15\n", 2, "input must be a number" },
        { "claude-sonnet-4-5:\n  input: 3\n", 2, "needs both input and output" },
        { "claude-sonnet-4-5:\n  input: 3\n  output: 15\n  cached: 1\n", 4, "unknown field 'cached'" },
        { "- claude-sonnet-4-5\n", 1, "expected a mapping" },
        { "a: { input: 1, output: 1 }\na: { input: 2, output: 2 }\n", 2, "" },
    };

    [Theory]
    [MemberData(nameof(BadPricing))]
    public async Task A_pricing_file_that_cannot_be_read_stops_the_agent_naming_file_and_line(string yaml, int line, string what)
    {
        using var home = new TempDirectory();
        var pricing = WritePricing(home.Combine("config"), yaml);
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_PRICING_FILE"] = pricing });
        Assert.NotEqual(0, exit);
        var single = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"PW_PRICING_FILE '{pricing}' line {line}", single);
        Assert.Contains(what, single);
        Assert.DoesNotContain("listening", output);
    }

    [Fact]
    public async Task A_missing_pricing_file_stops_the_agent_naming_it()
    {
        using var home = new TempDirectory();
        var missing = home.Combine("nope.yml");
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path, new Dictionary<string, string?> { ["PW_PRICING_FILE"] = missing });
        Assert.NotEqual(0, exit);
        Assert.Contains($"PW_PRICING_FILE '{missing}' cannot be read", output);
    }

    [Fact]
    public void The_new_fields_round_trip_through_the_line_format_and_stay_optional()
    {
        var entry = new AuditEntry { Timestamp = DateTimeOffset.UtcNow, User = "ana", Project = "p", Route = AuditEntry.AskRoute, Model = "m-1", TokensIn = 5, TokensOut = 6, CostUsd = 0.1234567891, CostSource = "pricing_file" };
        var bytes = AuditLineFormat.Serialize(entry);
        Assert.True(AuditLineFormat.TryParse(bytes.AsSpan(0, bytes.Length - 1), out var back));
        Assert.Equal(("m-1", 0.123457, "pricing_file"), (back.Model, back.CostUsd!.Value, back.CostSource));
        Assert.True(AuditLineFormat.TryParse("{\"ts\":\"2026-01-01T00:00:00.000Z\",\"user\":\"a\"}"u8, out var old));
        Assert.Null(old.CostUsd);
        Assert.False(AuditLineFormat.TryParse("{\"ts\":\"2026-01-01T00:00:00.000Z\",\"user\":\"a\",\"cost_usd\":\"free\"}"u8, out _));
    }
}
