using Patchwire.Tests.ChatTurns;

namespace Patchwire.Tests.Usage;

/// <summary>/chat turns are priced too, so cost budgets and Get-PatchwireUsage see what chats cost.</summary>
public sealed class UsageChatTests
{
    [Fact]
    public async Task A_chat_turn_carries_model_and_cost_from_its_result_event_and_the_pricing_file()
    {
        using var temp = new TempDirectory();
        var pricing = Path.Combine(temp.Path, "pricing.yml");
        File.WriteAllText(pricing, "claude-sonnet-4-5: { input: 3, output: 15 }\n");
        await using var bed = await ChatTestBed.StartAsync(new Dictionary<string, string?> { ["PW_PRICING_FILE"] = pricing });
        bed.Agent.Environment["PW_AI_ARGS"] += " --model claude-sonnet-4-5";
        await bed.RestartAsync();
        bed.CreateCheckout("ana");
        using var client = bed.Client("ana");
        await using (var turn = await ChatStream.TurnAsync(client, Guid.NewGuid().ToString(), "say: hi\ntokens: 120 30"))
            Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        var line = Assert.Single(bed.AuditLines());
        Assert.Equal("claude-sonnet-4-5", line.GetProperty("model").GetString());
        Assert.Equal(120, line.GetProperty("tokens_in").GetInt64());
        Assert.Equal(0.00081, line.GetProperty("cost_usd").GetDouble(), 9); // 120 × 3 / 1e6 + 30 × 15 / 1e6
        Assert.Equal("pricing_file", line.GetProperty("cost_source").GetString());
    }
}
