using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Users;

/// <summary>A user's policy as the admin cmdlets show it. Projects null = every project; RateLimit null = no limit.</summary>
public sealed class PatchwireUserPolicy
{
    public string Name { get; set; } = "";
    public string[]? Projects { get; set; }
    public int? RateLimit { get; set; }
    public TimeSpan? Per { get; set; }
    public long? TokenBudget { get; set; }
    public decimal? CostBudget { get; set; }
    public TimeSpan? BudgetPer { get; set; }

    public string ProjectsText => Projects is null ? "(all)" : Projects.Length == 0 ? "(none)" : string.Join(", ", Projects);
    public string BudgetText { get; private set; } = "(none)";
    public string RateLimitText => RateLimit is { } max && Per is { } per ? $"{max} per {PolicyDuration.Format((long)per.TotalSeconds)}" : "(none)";

    internal static PatchwireUserPolicy From(UserRecord record) => new()
    {
        Name = record.Name,
        Projects = record.Policy?.Projects?.ToArray(),
        RateLimit = record.Policy?.RateLimit?.Max,
        Per = record.Policy?.RateLimit is { } limit ? limit.Window : null,
        TokenBudget = record.Policy?.Budget?.Tokens,
        CostBudget = record.Policy?.Budget?.CostUsd,
        BudgetPer = record.Policy?.Budget is { } budget ? TimeSpan.FromSeconds(budget.WindowSec) : null,
        BudgetText = record.Policy?.Budget?.ToString() ?? "(none)",
    };

    public override string ToString() => $"projects: {ProjectsText}; rate limit: {RateLimitText}; budget: {BudgetText}";
}
