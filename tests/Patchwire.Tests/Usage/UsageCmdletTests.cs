using System.Management.Automation;
using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Usage;
using static Patchwire.Tests.Audit.AuditTestData;

namespace Patchwire.Tests.Usage;

[Collection(PowerShellCollection.Name)]
public sealed class UsageCmdletTests : IDisposable
{
    private readonly TempDirectory _home = new("pw-usage-ps");
    private static readonly DateTimeOffset Today = new(DateTimeOffset.UtcNow.Date, TimeSpan.Zero);

    public void Dispose() => _home.Dispose();

    private string Log => _home.Combine("agent.log");

    private static AuditEntry PricedAsk(string user, string project, DateTimeOffset ts, long tin, long tout, double cost)
    {
        var e = Ask(user, project, ts, 4); // lines +4 -1, 1004 ms
        e.Model = "claude-sonnet-4-5";
        e.TokensIn = tin;
        e.TokensOut = tout;
        e.CostUsd = cost;
        e.CostSource = "pricing_file";
        return e;
    }

    /// <summary>Yesterday and today: ana asks twice and chats once, ben asks once; one old line from 10 days ago; a torn line.</summary>
    private void WriteLog()
    {
        WriteFile(Log, new[]
        {
            PricedAsk("ana", "team-app", Today.AddDays(-10), 1_000_000, 0, 3.0),
            PricedAsk("ana", "team-app", Today.AddDays(-1).AddHours(9), 1000, 200, 0.006),
            Chat("ana", "docs", Today.AddDays(-1).AddHours(10), 0), // 100 in, 50 out, no cost, 2000 ms
            PricedAsk("ben", "team-app", Today.AddHours(0.01), 3000, 1000, 0.024),
            PricedAsk("ana", "team-app", Today.AddHours(0.02), 500, 100, 0.003),
        }, "{\"ts\":\"torn");
    }

    [Fact]
    public void One_object_per_user_project_or_day_with_requests_lines_tokens_cost_and_duration()
    {
        WriteLog();
        using var ps = new PowerShellSession(_home.Path);
        var (output, errors) = ps.Run("Get-PatchwireUsage -Since 3d 3>&1");
        var byUser = output.Select(o => o.BaseObject).OfType<PatchwireUsage>().ToList();
        Assert.Contains(output, o => o.BaseObject is WarningRecord w && w.Message.Contains("Skipped 1"));
        Assert.Empty(errors);
        Assert.Equal(new[] { "ana", "ben" }, byUser.Select(u => u.Name));
        var ana = byUser[0];
        Assert.Equal((3L, 2L, 1L), (ana.Requests, ana.Asks, ana.Chats));
        Assert.Equal((8L, 2L), (ana.LinesAdded, ana.LinesRemoved));
        Assert.Equal((1600L, 350L, 1950L), (ana.TokensIn, ana.TokensOut, ana.Tokens));
        Assert.Equal(0.009m, ana.CostUsd);
        Assert.Equal(TimeSpan.FromMilliseconds(1004 + 2000 + 1004), ana.Duration);
        Assert.Equal(UsageGrouping.User, ana.GroupBy);

        var byProject = ps.Invoke("Get-PatchwireUsage -Since 3d -GroupBy Project 3>$null").Select(o => (PatchwireUsage)o.BaseObject).ToList();
        Assert.Equal(new[] { "docs", "team-app" }, byProject.Select(p => p.Name));
        Assert.Equal(3, byProject[1].Requests);
        Assert.Equal(0.033m, byProject[1].CostUsd);

        var byDay = ps.Invoke("Get-PatchwireUsage -GroupBy Day 3>$null").Select(o => (PatchwireUsage)o.BaseObject).ToList();
        Assert.Equal(3, byDay.Count);
        Assert.Equal(Today.AddDays(-10).ToString("yyyy-MM-dd"), byDay[0].Name);
        Assert.Equal(3.0m, byDay[0].CostUsd);
        Assert.Equal(2, byDay[2].Requests);

        var ben = ps.Invoke("Get-PatchwireUsage -User b* -Project team-* 3>$null").Select(o => (PatchwireUsage)o.BaseObject).Single();
        Assert.Equal(("ben", 4000L), (ben.Name, ben.Tokens));

        // Users from the pipeline give one report; the table view shows the sums.
        var piped = ps.Invoke("[pscustomobject]@{Name='ana'},[pscustomobject]@{Name='ben'} | Get-PatchwireUsage -Since 3d 3>$null").Select(o => (PatchwireUsage)o.BaseObject).ToList();
        Assert.Equal(2, piped.Count);
        var table = string.Join("\n", ps.Invoke("Get-PatchwireUsage -Since 3d 3>$null | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Matches(@"ana\s+3\s+2\s+1\s+\+8 -2\s+1950\s+0\.01", table);
    }

    [Fact]
    public void Bad_since_and_a_missing_log_are_clear_errors()
    {
        using var ps = new PowerShellSession(_home.Path);
        var (_, errors) = ps.Run("Get-PatchwireUsage");
        Assert.Equal("Patchwire.AuditLogNotFound,Patchwire.PowerShell.Usage.GetPatchwireUsageCommand", Assert.Single(errors).FullyQualifiedErrorId);
        WriteLog();
        (_, errors) = ps.Run("Get-PatchwireUsage -Since soon");
        Assert.Contains("InvalidSince", Assert.Single(errors).FullyQualifiedErrorId);
        (_, errors) = ps.Run("Get-PatchwireUsage -GroupBy Week");
        Assert.Single(errors);
    }

    [Fact]
    public void The_agent_shim_prints_upstreams_columns_or_one_json_document()
    {
        WriteLog();
        using var ps = new PowerShellSession(_home.Path);
        var lines = ps.Invoke("patchwire-agent usage --since 3d 3>$null").Select(o => o.ToString()!).ToList();
        Assert.Matches(@"^USER\s+REQ\s+ASK\s+CHAT\s+\+LINES\s+-LINES\s+TOK\s+\$EQV\s+TIME$", lines[0]);
        Assert.Matches(@"^ana\s+3\s+2\s+1\s+8\s+2\s+1950\s+\$0\.01\s+4\.0s$", lines[1]);
        Assert.Matches(@"^ben\s+1\s+1\s+0\s+4\s+1\s+4000\s+\$0\.02\s+1\.0s$", lines[2]);

        var json = string.Join("\n", ps.Invoke("patchwire-agent usage --by project --json").Select(o => o.ToString()));
        var doc = JsonDocument.Parse(json).RootElement;
        Assert.Equal("project", doc.GetProperty("groupBy").GetString());
        var app = doc.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "team-app");
        Assert.Equal(4, app.GetProperty("requests").GetInt64());
        Assert.Equal(3.033m, app.GetProperty("costUsd").GetDecimal());

        var (_, errors) = ps.Run("patchwire-agent usage --by week");
        Assert.Contains("--by must be user, project or day", Assert.Single(errors).Exception.Message);
        Assert.Equal(2, ps.GetVariable("LASTEXITCODE"));
        (_, errors) = ps.Run("patchwire-agent usage --since soon");
        Assert.Single(errors);
    }
}
