using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

[Cmdlet(VerbsCommon.Get, "PatchwireUserPolicy")]
[OutputType(typeof(PatchwireUserPolicy))]
[Synopsis("Shows Patchwire users' policies: the projects each may use and their rate limit.")]
[Description("Reads the user registry. Projects '(all)' means no allowlist; RateLimit and Budget '(none)' mean no limit. Names accept wildcards.")]
[Example("Get-PatchwireUserPolicy", "Shows every user's policy.")]
[Example("Get-PatchwireUser a* | Get-PatchwireUserPolicy", "Shows the policies of the users whose names start with 'a'.")]
public sealed class GetPatchwireUserPolicyCommand : UserSelectionCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var u in SelectedUsers()) WriteObject(PatchwireUserPolicy.From(u));
    }
}

[Cmdlet(VerbsCommon.Set, "PatchwireUserPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireUserPolicy))]
[Synopsis("Sets which projects a Patchwire user may use and how many requests they may make per window.")]
[Description("Applies to /ask, /chat and /sync from the agent's next request on, without a restart. A refused project gets 403 " +
             "project_not_allowed, a full window 403 rate_limited. -Project takes names or wildcard patterns (case-sensitive, like the " +
             "checkout folders); an empty list is refused: use -ClearProjects to allow every project, or Disable-PatchwireUser to stop a user. " +
             "-Per takes 90s, 15m, 1h, 1d, 1h30m or a TimeSpan. Budgets (tokens and/or USD per fixed window aligned on UTC, summed from the audit log) " +
             "refuse /ask and /chat with 403 budget_exceeded once spent. Parts not named are left as they are.")]
[Example("Set-PatchwireUserPolicy -Name ana -Project 'team-*','docs' -RateLimit 50 -Per 1h", "Lets ana use docs and the team- projects, 50 requests an hour.")]
[Example("Get-PatchwireUser | Set-PatchwireUserPolicy -RateLimit 100 -Per 1d -WhatIf", "Shows what a daily limit for everyone would change.")]
[Example("Set-PatchwireUserPolicy ana -TokenBudget 2000000 -CostBudget 50 -BudgetPer 30d", "Beyond upstream: ana may spend 2 million tokens and $50 per 30-day window; then /ask and /chat get 403 budget_exceeded.")]
[Example("Set-PatchwireUserPolicy ana -ClearProjects -ClearRateLimit -ClearBudget", "Removes ana's limits.")]
public sealed class SetPatchwireUserPolicyCommand : UserCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The user to change.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "Project names or wildcard patterns the user may use (replaces the list).")]
    [Alias("Projects")]
    [AllowEmptyCollection]
    [SupportsWildcards]
    public string[]? Project { get; set; }

    [Parameter(HelpMessage = "Allow every project again.")]
    public SwitchParameter ClearProjects { get; set; }

    [Parameter(HelpMessage = "Requests allowed per window (at least 1).")]
    public int? RateLimit { get; set; }

    [Parameter(HelpMessage = "The window of -RateLimit: 90s, 15m, 1h, 1d, 1h30m or a TimeSpan.")]
    [Alias("Window")]
    public string? Per { get; set; } // a string, not object: PowerShell would read a bare 1d or 0s as numbers


    [Parameter(HelpMessage = "Remove the rate limit.")]
    public SwitchParameter ClearRateLimit { get; set; }

    [Parameter(HelpMessage = "Tokens (in plus out) the user may spend per budget window (at least 1).")]
    public long? TokenBudget { get; set; }

    [Parameter(HelpMessage = "USD the user may spend per budget window (more than 0), as the audit log's cost_usd counts it.")]
    public decimal? CostBudget { get; set; }

    [Parameter(HelpMessage = "The budget window, fixed and aligned on UTC: 1d runs midnight to midnight UTC. 1h, 1d, 7d, 30d or a TimeSpan.")]
    public string? BudgetPer { get; set; }

    [Parameter(HelpMessage = "Remove both budgets.")]
    public SwitchParameter ClearBudget { get; set; }

    [Parameter(HelpMessage = "Return the changed policy.")]
    public SwitchParameter PassThru { get; set; }

    private long? _windowSec;
    private long? _budgetWindowSec;
    private bool ChangesBudget => TokenBudget is not null || CostBudget is not null || BudgetPer is not null;

    protected override void BeginProcessing()
    {
        string? problem = null;
        if (Project is null && !ClearProjects && RateLimit is null && Per is null && !ClearRateLimit && !ChangesBudget && !ClearBudget)
            problem = "Nothing to change: give -Project, -RateLimit with -Per, -TokenBudget/-CostBudget with -BudgetPer, or a -Clear… switch.";
        else if (ChangesBudget && ClearBudget)
            problem = "-TokenBudget/-CostBudget/-BudgetPer and -ClearBudget contradict each other; give one.";
        else if (TokenBudget is < 1)
            problem = $"-TokenBudget must be at least 1 (got {TokenBudget}). Use -ClearBudget to remove the budget, or Disable-PatchwireUser to stop the user.";
        else if (CostBudget is <= 0)
            problem = $"-CostBudget must be more than 0 USD (got {CostBudget}). Use -ClearBudget to remove the budget, or Disable-PatchwireUser to stop the user.";
        else if (Project is not null && ClearProjects)
            problem = "-Project and -ClearProjects contradict each other; give one.";
        else if ((RateLimit is not null || Per is not null) && ClearRateLimit)
            problem = "-RateLimit/-Per and -ClearRateLimit contradict each other; give one.";
        else if (Project is not null && Project.Length == 0)
            problem = "An empty -Project list would refuse every project. Use -ClearProjects to allow every project, or Disable-PatchwireUser to stop the user.";
        else if (Project?.Select(ProjectPattern.Check).FirstOrDefault(p => p is not null) is { } patternProblem)
            problem = patternProblem;
        else if (RateLimit is < 1)
            problem = $"-RateLimit must be at least 1 (got {RateLimit}). Use -ClearRateLimit to remove the limit, or Disable-PatchwireUser to stop the user.";
        else if (Per is not null)
        {
            _windowSec = PolicyDuration.TryParseSeconds(Per, out var perProblem);
            if (perProblem is not null) problem = "-Per: " + perProblem;
        }
        if (problem is null && BudgetPer is not null)
        {
            _budgetWindowSec = PolicyDuration.TryParseSeconds(BudgetPer, out var budgetPerProblem);
            if (budgetPerProblem is not null) problem = "-BudgetPer: " + budgetPerProblem;
        }
        if (problem is not null)
            ThrowTerminatingError(Errors.Make(problem, "InvalidPolicy", ErrorCategory.InvalidArgument, Name));
    }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Set Patchwire user policy ({Describe()})")) return;
        var user = Try(() => Registry.SetPolicy(Name, Change), Name);
        if (user is not null && PassThru) WriteObject(PatchwireUserPolicy.From(user));
    }

    private UserPolicy Change(UserPolicy policy)
    {
        if (ClearProjects) policy.Projects = null;
        if (Project is not null) policy.Projects = Project.Distinct(StringComparer.Ordinal).ToList();
        if (ClearRateLimit) policy.RateLimit = null;
        if (RateLimit is not null || _windowSec is not null)
        {
            var max = RateLimit ?? policy.RateLimit?.Max;
            var window = _windowSec ?? policy.RateLimit?.WindowSec;
            if (max is null || window is null)
                throw new RegistryException(RegistryErrorKind.InvalidPolicy,
                    $"User '{Name}' has no rate limit yet: give both -RateLimit and -Per (for example -RateLimit 50 -Per 1h).");
            policy.RateLimit = new RateLimitPolicy { Max = max.Value, WindowSec = window.Value };
        }
        if (ClearBudget) policy.Budget = null;
        if (ChangesBudget)
        {
            var window = _budgetWindowSec ?? policy.Budget?.WindowSec;
            if (window is null)
                throw new RegistryException(RegistryErrorKind.InvalidPolicy,
                    $"User '{Name}' has no budget yet: give -BudgetPer with -TokenBudget or -CostBudget (for example -CostBudget 50 -BudgetPer 30d).");
            policy.Budget = new BudgetPolicy
            {
                Tokens = TokenBudget ?? policy.Budget?.Tokens,
                CostUsd = CostBudget ?? policy.Budget?.CostUsd,
                WindowSec = window.Value,
            };
        }
        return policy;
    }

    private string Describe()
    {
        var parts = new List<string>();
        if (ClearProjects) parts.Add("projects: all");
        if (Project is not null) parts.Add("projects: " + string.Join(", ", Project));
        if (ClearRateLimit) parts.Add("no rate limit");
        if (RateLimit is not null) parts.Add($"rate limit {RateLimit}");
        if (_windowSec is { } w) parts.Add("per " + PolicyDuration.Format(w));
        if (ClearBudget) parts.Add("no budget");
        if (TokenBudget is not null) parts.Add($"token budget {TokenBudget}");
        if (CostBudget is not null) parts.Add($"cost budget ${CostBudget}");
        if (_budgetWindowSec is { } bw) parts.Add("budget per " + PolicyDuration.Format(bw));
        return string.Join("; ", parts);
    }
}
