using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Users;

namespace Patchwire.Tests.Policy;

[Collection(PowerShellCollection.Name)]
public sealed class PolicyCmdletTests
{
    private static UserRegistry Registry(TempDirectory home) => new(Path.Combine(home.Path, "users.json"));

    [Fact]
    public void Set_stores_the_policy_Get_returns_it_typed_and_user_objects_carry_it()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("'ana','ben' | New-PatchwireUser | Out-Null");
        ps.Invoke("Set-PatchwireUserPolicy -Name ana -Project 'team-*','docs' -RateLimit 50 -Per 1h");

        var stored = Registry(home).Find("ana")!.Policy!;
        Assert.Equal(new[] { "team-*", "docs" }, stored.Projects);
        Assert.Equal((50, 3600L), (stored.RateLimit!.Max, stored.RateLimit.WindowSec));
        Assert.Null(Registry(home).Find("ben")!.Policy);

        var policies = ps.Invoke("Get-PatchwireUserPolicy").Select(o => (PatchwireUserPolicy)o.BaseObject).ToDictionary(p => p.Name);
        Assert.Equal(new[] { "team-*", "docs" }, policies["ana"].Projects);
        Assert.Equal(50, policies["ana"].RateLimit);
        Assert.Equal(TimeSpan.FromHours(1), policies["ana"].Per);
        Assert.Null(policies["ben"].Projects);
        Assert.Null(policies["ben"].RateLimit);
        var user = (PatchwireUser)ps.Invoke("Get-PatchwireUser ana").Single().BaseObject;
        Assert.Equal(50, user.Policy!.RateLimit);

        var table = string.Join("\n", ps.Invoke("Get-PatchwireUserPolicy | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains("team-*, docs", table);
        Assert.Contains("50 per 1h", table);
        Assert.Matches(@"ben\s+\(all\)\s+\(none\)", table);

        // -Per alone changes the window of the existing limit; -RateLimit alone its max.
        ps.Invoke("Set-PatchwireUserPolicy ana -Per 1d; Set-PatchwireUserPolicy ana -RateLimit 7 -Per (New-TimeSpan -Minutes 90)");
        stored = Registry(home).Find("ana")!.Policy!;
        Assert.Equal((7, 5400L), (stored.RateLimit!.Max, stored.RateLimit.WindowSec));

        ps.Invoke("Set-PatchwireUserPolicy ana -ClearProjects");
        Assert.Null(Registry(home).Find("ana")!.Policy!.Projects);
        var cleared = (PatchwireUserPolicy)ps.Invoke("Set-PatchwireUserPolicy ana -ClearRateLimit -PassThru").Single().BaseObject;
        Assert.Null(cleared.RateLimit);
        Assert.Null(Registry(home).Find("ana")!.Policy);
        Assert.DoesNotContain("policy", File.ReadAllText(Registry(home).Path));
    }

    [Fact]
    public void Budgets_are_set_changed_shown_and_cleared()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("'ana','ben' | New-PatchwireUser | Out-Null");
        ps.Invoke("Set-PatchwireUserPolicy ana -TokenBudget 2000000 -CostBudget 50 -BudgetPer 30d");
        var budget = Registry(home).Find("ana")!.Policy!.Budget!;
        Assert.Equal((2000000L, 50m, 30 * 86400L), (budget.Tokens!.Value, budget.CostUsd!.Value, budget.WindowSec));
        ps.Invoke("Set-PatchwireUserPolicy ana -CostBudget 75.5");
        budget = Registry(home).Find("ana")!.Policy!.Budget!;
        Assert.Equal((2000000L, 75.5m, 30 * 86400L), (budget.Tokens!.Value, budget.CostUsd!.Value, budget.WindowSec));

        var shown = (PatchwireUserPolicy)ps.Invoke("Get-PatchwireUserPolicy ana").Single().BaseObject;
        Assert.Equal((2000000L, 75.5m, TimeSpan.FromDays(30)), (shown.TokenBudget!.Value, shown.CostBudget!.Value, shown.BudgetPer!.Value));
        var table = string.Join("\n", ps.Invoke("Get-PatchwireUserPolicy | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains("2000000 tokens and $75.50 per 30d", table);

        var (_, errors) = ps.Run("Set-PatchwireUserPolicy ben -TokenBudget 10");
        Assert.Contains("-BudgetPer", Assert.Single(errors).Exception.Message);
        Assert.Null(Registry(home).Find("ben")!.Policy);

        ps.Invoke("Set-PatchwireUserPolicy ana -ClearBudget");
        Assert.Null(Registry(home).Find("ana")!.Policy);
    }

    [Fact]
    public void Names_bind_from_the_pipeline_by_property_name_and_WhatIf_changes_nothing()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("'ana','ben','cy' | New-PatchwireUser | Out-Null");
        var before = File.ReadAllBytes(Registry(home).Path);
        ps.Invoke("Get-PatchwireUser | Set-PatchwireUserPolicy -RateLimit 10 -Per 1d -WhatIf");
        Assert.Equal(before, File.ReadAllBytes(Registry(home).Path));

        ps.Invoke("Get-PatchwireUser b*, cy | Set-PatchwireUserPolicy -RateLimit 10 -Per 1d");
        ps.Invoke("[pscustomobject]@{ UserName = 'ana' } | Set-PatchwireUserPolicy -Project docs");
        var users = Registry(home).Load().ToDictionary(u => u.Name);
        Assert.Equal(new[] { "docs" }, users["ana"].Policy!.Projects);
        Assert.Null(users["ana"].Policy!.RateLimit);
        Assert.Equal(10, users["ben"].Policy!.RateLimit!.Max);
        Assert.Equal(86400, users["cy"].Policy!.RateLimit!.WindowSec);
        var names = ps.Invoke("Get-PatchwireUser | Get-PatchwireUserPolicy | Where-Object RateLimit | ForEach-Object Name").Select(o => o.ToString());
        Assert.Equal(new[] { "ben", "cy" }, names);
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { "Set-PatchwireUserPolicy ana -Project @()", "-ClearProjects" },
        { "Set-PatchwireUserPolicy ana -Project ''", "empty" },
        { "Set-PatchwireUserPolicy ana -Project '../etc'", "may contain only" },
        { "Set-PatchwireUserPolicy ana -RateLimit 0 -Per 1h", "at least 1" },
        { "Set-PatchwireUserPolicy ana -RateLimit -5 -Per 1h", "at least 1" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per 0s", "shorter than 1 second" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per ([TimeSpan]::Zero)", "shorter than 1 second" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per soon", "not a window" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per '-1h'", "not a window" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per 400d", "longer than" },
        { "Set-PatchwireUserPolicy ana", "Nothing to change" },
        { "Set-PatchwireUserPolicy ana -Project docs -ClearProjects", "contradict" },
        { "Set-PatchwireUserPolicy ana -RateLimit 5 -Per 1h -ClearRateLimit", "contradict" },
        { "Set-PatchwireUserPolicy ana -TokenBudget 0 -BudgetPer 1d", "-TokenBudget must be at least 1" },
        { "Set-PatchwireUserPolicy ana -TokenBudget -10 -BudgetPer 1d", "-TokenBudget must be at least 1" },
        { "Set-PatchwireUserPolicy ana -CostBudget 0 -BudgetPer 1d", "-CostBudget must be more than 0" },
        { "Set-PatchwireUserPolicy ana -CostBudget -5 -BudgetPer 1d", "-CostBudget must be more than 0" },
        { "Set-PatchwireUserPolicy ana -CostBudget 5 -BudgetPer 0s", "shorter than 1 second" },
        { "Set-PatchwireUserPolicy ana -CostBudget 5 -BudgetPer monthly", "-BudgetPer: 'monthly' is not a window" },
        { "Set-PatchwireUserPolicy ana -CostBudget 5 -BudgetPer 1d -ClearBudget", "contradict" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void Bad_input_is_a_clear_error_and_changes_nothing(string script, string expected)
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("New-PatchwireUser ana | Out-Null; Set-PatchwireUserPolicy ana -Project docs");
        var before = File.ReadAllBytes(Registry(home).Path);
        // A terminating error: the whole call stops, whatever the pipeline.
        var (output, errors) = ps.Run($"try {{ {script} }} catch {{ 'caught: ' + $_.Exception.Message }}");
        Assert.Empty(errors);
        var caught = Assert.Single(output).ToString();
        Assert.StartsWith("caught: ", caught);
        Assert.Contains(expected, caught);
        Assert.Equal(before, File.ReadAllBytes(Registry(home).Path));
    }

    [Fact]
    public void A_rate_without_a_window_for_a_user_without_one_and_an_unknown_user_are_errors_per_item()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("'ana','ben' | New-PatchwireUser | Out-Null");
        var before = File.ReadAllBytes(Registry(home).Path);
        var (_, errors) = ps.Run("'ana','zed' | Set-PatchwireUserPolicy -RateLimit 5");
        Assert.Equal(2, errors.Count);
        Assert.Contains("give both -RateLimit and -Per", errors[0].Exception.Message);
        Assert.Equal(ErrorCategory.InvalidArgument, errors[0].CategoryInfo.Category);
        Assert.Contains("No user named 'zed'", errors[1].Exception.Message);
        Assert.Equal(before, File.ReadAllBytes(Registry(home).Path));
    }

    [Fact]
    public void The_agent_shim_shows_and_sets_projects_and_rate_as_upstreams_verbs()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("New-PatchwireUser ana | Out-Null");
        Assert.Equal("ana: projects (all); rate limit (none); budget (none)", ps.Invoke("patchwire-agent user policy show ana").Single().ToString());
        Assert.Equal("ana: projects team-*, docs; rate limit (none); budget (none)", ps.Invoke("patchwire-agent user policy projects ana team-* docs").Single().ToString());
        Assert.Equal("ana: projects team-*, docs; rate limit 50 per 1h; budget (none)", ps.Invoke("patchwire-agent user policy rate ana 50 1h").Single().ToString());
        Assert.Equal(0, ps.GetVariable("LASTEXITCODE"));
        Assert.Equal((50, 3600L), (Registry(home).Find("ana")!.Policy!.RateLimit!.Max, Registry(home).Find("ana")!.Policy!.RateLimit!.WindowSec));

        var before = File.ReadAllBytes(Registry(home).Path);
        foreach (var (args, exit, expected) in new[]
        {
            ("rate ana 0 1h", 1, "at least 1"),
            ("rate ana 5 0s", 1, "shorter than 1 second"),
            ("rate ana 5 soon", 1, "not a window"),
            ("rate ana five 1h", 1, "not a whole number"),
            ("rate ana 5", 2, "MAX WINDOW"),
            ("projects ana", 2, "--clear"),
            ("projects ana a/b", 1, "may contain only"),
            ("show zed", 1, "No user named 'zed'"),
            ("frob ana", 2, "unknown policy action"),
        })
        {
            var (_, errors) = ps.Run($"patchwire-agent user policy {args}");
            Assert.Contains(expected, Assert.Single(errors).Exception.Message);
            Assert.Equal(exit, ps.GetVariable("LASTEXITCODE"));
        }
        Assert.Equal(before, File.ReadAllBytes(Registry(home).Path));

        Assert.Equal("ana: projects team-*, docs; rate limit 50 per 1h; budget 5000 tokens and $2.50 per 30d",
            ps.Invoke("patchwire-agent user policy budget ana --tokens 5000 --cost 2.50 --per 30d").Single().ToString());
        var (_, budgetErrors) = ps.Run("patchwire-agent user policy budget ana --tokens 0 --per 1d");
        Assert.Contains("at least 1 token", Assert.Single(budgetErrors).Exception.Message);
        (_, budgetErrors) = ps.Run("patchwire-agent user policy budget ana --cost 1 --per never");
        Assert.Contains("not a window", Assert.Single(budgetErrors).Exception.Message);
        ps.Invoke("patchwire-agent user policy budget ana --clear");
        ps.Invoke("patchwire-agent user policy rate ana --clear; patchwire-agent user policy projects ana --clear");
        Assert.Null(Registry(home).Find("ana")!.Policy);
    }
}
