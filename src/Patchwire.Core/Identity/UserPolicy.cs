using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Patchwire.Core.Identity;

/// <summary>
/// A user's limits, stored in users.json as
/// <c>"policy": {"projects": ["team-*", "docs"], "rateLimit": {"max": 50, "windowSec": 3600}}</c>.
/// A missing <c>projects</c> allows every project; an empty list allows none. A missing <c>rateLimit</c> means no limit.
/// </summary>
public sealed class UserPolicy
{
    [JsonPropertyName("projects")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Projects { get; set; }

    [JsonPropertyName("rateLimit")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RateLimitPolicy? RateLimit { get; set; }

    /// <summary>Beyond upstream: tokens and/or USD a user may spend per fixed window.</summary>
    [JsonPropertyName("budget")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BudgetPolicy? Budget { get; set; }

    [JsonIgnore] public bool IsEmpty => Projects is null && RateLimit is null && Budget is null;

    public UserPolicy Clone() => new()
    {
        Projects = Projects?.ToList(),
        RateLimit = RateLimit is null ? null : new RateLimitPolicy { Max = RateLimit.Max, WindowSec = RateLimit.WindowSec },
        Budget = Budget is null ? null : new BudgetPolicy { Tokens = Budget.Tokens, CostUsd = Budget.CostUsd, WindowSec = Budget.WindowSec },
    };

    /// <summary>True when the allowlist is absent or one of its patterns (<c>*</c> and <c>?</c> wildcards, case-sensitive) matches.</summary>
    public bool AllowsProject(string project) =>
        Projects is null || Projects.Any(p => ProjectPattern.Matches(p, project));

    /// <summary>Returns null when the policy can be stored, else a sentence saying what is wrong.</summary>
    public string? Check()
    {
        if (Projects is not null)
            foreach (var pattern in Projects)
                if (ProjectPattern.Check(pattern) is { } problem) return problem;
        return RateLimit?.Check() ?? Budget?.Check();
    }
}

/// <summary>
/// <c>"budget": {"tokens": 2000000, "costUsd": 50, "windowSec": 2592000}</c>: either limit may be left out. Windows are
/// fixed and aligned on the Unix epoch in UTC (a 1d window runs from midnight UTC to midnight UTC).
/// </summary>
public sealed class BudgetPolicy
{
    [JsonPropertyName("tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Tokens { get; set; }

    [JsonPropertyName("costUsd")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? CostUsd { get; set; }

    [JsonPropertyName("windowSec")] public long WindowSec { get; set; }

    public string? Check()
    {
        if (Tokens is null && CostUsd is null) return "A budget needs a token limit, a cost limit or both.";
        if (Tokens is < 1) return $"The token budget must be at least 1 token (got {Tokens}); use -ClearBudget to remove the budget.";
        if (CostUsd is <= 0) return $"The cost budget must be more than 0 USD (got {CostUsd}); use -ClearBudget to remove the budget.";
        if (WindowSec < 1) return $"The budget window must be at least 1 second (got {WindowSec} s).";
        if (WindowSec > PolicyDuration.MaxSeconds) return $"The budget window of {WindowSec} s is longer than the limit of {PolicyDuration.MaxSeconds / 86400} days.";
        return null;
    }

    /// <summary>The fixed window holding <paramref name="now"/>: [start, end).</summary>
    public (DateTimeOffset Start, DateTimeOffset End) WindowAt(DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        var start = seconds - (((seconds % WindowSec) + WindowSec) % WindowSec);
        return (DateTimeOffset.FromUnixTimeSeconds(start), DateTimeOffset.FromUnixTimeSeconds(start + WindowSec));
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Tokens is { } tokens) parts.Add($"{tokens} tokens");
        if (CostUsd is { } cost) parts.Add("$" + cost.ToString("0.00##", CultureInfo.InvariantCulture));
        return $"{string.Join(" and ", parts)} per {PolicyDuration.Format(WindowSec)}";
    }
}

public sealed class RateLimitPolicy
{
    [JsonPropertyName("max")] public int Max { get; set; }
    [JsonPropertyName("windowSec")] public long WindowSec { get; set; }

    [JsonIgnore] public TimeSpan Window => TimeSpan.FromSeconds(WindowSec);

    public string? Check()
    {
        if (Max < 1) return $"The rate limit must allow at least 1 request per window (got {Max}); use -ClearRateLimit to remove the limit, or Disable-PatchwireUser to stop a user.";
        if (WindowSec < 1) return $"The rate-limit window must be at least 1 second (got {WindowSec} s).";
        if (WindowSec > PolicyDuration.MaxSeconds) return $"The rate-limit window of {WindowSec} s is longer than the limit of {PolicyDuration.MaxSeconds / 86400} days.";
        return null;
    }

    public override string ToString() => $"{Max} per {PolicyDuration.Format(WindowSec)}";
}

/// <summary>Allowlist patterns: a project name that may hold <c>*</c> (any run) and <c>?</c> (one character).</summary>
public static class ProjectPattern
{
    private static readonly Regex Allowed = new("^[A-Za-z0-9_.*?-]+$", RegexOptions.CultureInvariant);

    public static string? Check(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) return "A project pattern is empty.";
        if (pattern!.Length > NameRules.MaxLength) return $"The project pattern '{pattern}' is longer than {NameRules.MaxLength} characters.";
        if (!Allowed.IsMatch(pattern)) return $"The project pattern '{pattern}' may contain only letters, digits, '_', '.', '-' and the wildcards '*' and '?'.";
        return null;
    }

    public static bool Matches(string pattern, string project)
    {
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
            regex.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
        regex.Append('$');
        return Regex.IsMatch(project, regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}

/// <summary>Windows written as <c>90s</c>, <c>15m</c>, <c>1h</c>, <c>1d</c>, <c>1w</c> or combined (<c>1h30m</c>), or a TimeSpan.</summary>
public static class PolicyDuration
{
    public const long MaxSeconds = 366L * 86400;
    public const string Expected = "a duration such as 90s, 15m, 1h, 1d or 1h30m";
    private static readonly Regex Pattern = new(@"^\s*(?:(\d{1,9})\s*([smhdw])\s*)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Whole seconds, or null with <paramref name="error"/> saying what was wrong.</summary>
    public static long? TryParseSeconds(object? value, out string? error)
    {
        error = null;
        if (value is TimeSpan span) return FromSpan(span, span.ToString(), out error);
        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        var match = Pattern.Match(text);
        if (match.Success)
        {
            long seconds = 0;
            for (var i = 0; i < match.Groups[1].Captures.Count; i++)
            {
                var n = long.Parse(match.Groups[1].Captures[i].Value, CultureInfo.InvariantCulture);
                seconds += n * (char.ToLowerInvariant(match.Groups[2].Captures[i].Value[0]) switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 7 * 86400L });
            }
            return FromSpan(TimeSpan.FromSeconds(seconds), text.Trim(), out error);
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out span) && text.Contains(':'))
            return FromSpan(span, text.Trim(), out error);
        error = $"'{text}' is not a window; give {Expected}.";
        return null;
    }

    private static long? FromSpan(TimeSpan span, string shown, out string? error)
    {
        error = null;
        var seconds = (long)Math.Floor(span.TotalSeconds);
        if (seconds < 1) { error = $"The window '{shown}' is shorter than 1 second; give {Expected}."; return null; }
        if (seconds > MaxSeconds) { error = $"The window '{shown}' is longer than {MaxSeconds / 86400} days."; return null; }
        return seconds;
    }

    public static string Format(long seconds)
    {
        if (seconds % 86400 == 0) return $"{seconds / 86400}d";
        if (seconds % 3600 == 0) return $"{seconds / 3600}h";
        if (seconds % 60 == 0) return $"{seconds / 60}m";
        return $"{seconds}s";
    }
}
