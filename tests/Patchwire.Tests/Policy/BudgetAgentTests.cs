using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.Core.Identity;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Policy;

/// <summary>Token and cost budgets (issue 12, item 3): spent is summed from the audit log; over budget is 403 budget_exceeded.</summary>
public sealed class BudgetAgentTests
{
    private const string TokenAi = """
        cat >/dev/null
        echo changed >> src/app.txt
        echo '{"type":"result","result":"ok","usage":{"input_tokens":1500,"output_tokens":1000},"modelUsage":{"m":{"outputTokens":1000}}}'
        """;

    private static void Append(string log, AuditEntry entry) =>
        File.AppendAllText(log, System.Text.Encoding.UTF8.GetString(AuditLineFormat.Serialize(entry)));

    private static AuditEntry Spent(string user, DateTimeOffset ts, long tokens, double cost) => new()
    {
        Timestamp = ts, User = user, Project = "app", Route = AuditEntry.AskRoute, PromptSha256 = new string('0', 64),
        TokensIn = tokens / 2, TokensOut = tokens - tokens / 2, CostUsd = cost, CostSource = "pricing_file",
    };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AskAsync(HttpClient client, string project = "app")
    {
        using var response = await client.PostAsJsonAsync("/ask", new { prompt = "hi", project });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    [Fact]
    public async Task Spending_recorded_in_the_audit_log_refuses_ask_and_chat_with_what_was_spent_and_when_the_window_resets()
    {
        await using var bed = await RunsTestBed.StartAsync("cat >/dev/null");
        bed.Token("ana");
        bed.Token("ben");
        var log = Path.Combine(bed.Home, "agent.log");
        // The test spans one UTC day window: keep clear of midnight.
        var untilMidnight = DateTime.UtcNow.Date.AddDays(1) - DateTime.UtcNow;
        if (untilMidnight < TimeSpan.FromMinutes(2)) await Task.Delay(untilMidnight + TimeSpan.FromSeconds(10));
        if (DateTime.UtcNow.TimeOfDay < TimeSpan.FromSeconds(10)) await Task.Delay(TimeSpan.FromSeconds(10));
        var now = DateTimeOffset.UtcNow;
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        Append(log, Spent("ana", midnight.AddDays(-2), 1_000_000, 500)); // an earlier window: not counted
        Append(log, Spent("ana", now.AddSeconds(-5), 900, 0.4));
        Append(log, Spent("ben", now.AddSeconds(-4), 5000, 9));        // someone else's spending
        bed.Agent.Registry.SetPolicy("ana", p => { p.Budget = new BudgetPolicy { Tokens = 1000, CostUsd = 1m, WindowSec = 86400 }; return p; });
        using var ana = bed.Client("ana");

        Assert.Equal(HttpStatusCode.NotFound, (await AskAsync(ana)).Status); // under budget: on to the checkout lookup

        Append(log, Spent("ana", now.AddSeconds(-3), 200, 0.1));
        var (status, body) = await AskAsync(ana);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("budget_exceeded", body.GetProperty("error").GetString());
        Assert.Equal("tokens", body.GetProperty("budget").GetString());
        Assert.Equal(1000, body.GetProperty("limit").GetInt64());
        Assert.Equal(1100, body.GetProperty("spent").GetInt64());
        Assert.Equal(0.5, body.GetProperty("spentCostUsd").GetDouble(), 9);
        var resets = midnight.AddDays(1);
        Assert.Equal(AuditLineFormat.FormatTimestamp(midnight), body.GetProperty("windowStart").GetString());
        Assert.Equal(AuditLineFormat.FormatTimestamp(resets), body.GetProperty("resetsAt").GetString());
        Assert.Equal($"token budget reached: 1100 of 1000 tokens spent since {AuditLineFormat.FormatTimestamp(midnight)}; the window resets at {AuditLineFormat.FormatTimestamp(resets)}",
            body.GetProperty("message").GetString());

        using (var chat = await ana.PostAsJsonAsync("/chat", new { uuid = "3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f", prompt = "hi", project = "app" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
            Assert.Contains("budget_exceeded", await chat.Content.ReadAsStringAsync());
        }
        // Sync spends nothing and stays open; so does another user.
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync("/sync/app")).StatusCode);
        using var ben = bed.Client("ben");
        Assert.Equal(HttpStatusCode.NotFound, (await AskAsync(ben)).Status);

        // The cost budget: tokens raised, cost now the limit reached.
        bed.Agent.Registry.SetPolicy("ana", p => { p.Budget!.Tokens = 1_000_000; p.Budget.CostUsd = 0.5m; return p; });
        (status, body) = await AskAsync(ana);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("cost_usd", body.GetProperty("budget").GetString());
        Assert.StartsWith("cost budget reached: $0.50 of $0.50 spent since", body.GetProperty("message").GetString());

        // Raising it applies on the next request.
        bed.Agent.Registry.SetPolicy("ana", p => { p.Budget!.CostUsd = 0.75m; return p; });
        Assert.Equal(HttpStatusCode.NotFound, (await AskAsync(ana)).Status);
    }

    [Fact]
    public async Task A_run_the_agent_audits_counts_against_the_next_request()
    {
        await using var bed = await RunsTestBed.StartAsync(TokenAi);
        bed.CreateCheckout("ana", "app");
        bed.Agent.Registry.SetPolicy("ana", p => { p.Budget = new BudgetPolicy { Tokens = 2000, WindowSec = 3600 }; return p; });
        using var ana = bed.Client("ana");
        await using (var first = await AskStream.RunAsync(ana, new { prompt = "hi", project = "app" }))
            Assert.Equal("result", first.Final.GetProperty("type").GetString());
        var (status, body) = await AskAsync(ana);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(2500, body.GetProperty("spent").GetInt64());
    }
}
