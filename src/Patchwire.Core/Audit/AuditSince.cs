using System.Globalization;
using System.Text.RegularExpressions;

namespace Patchwire.Core.Audit;

/// <summary>
/// Reads a "since" value: a duration back from now (<c>30m</c>, <c>24h</c>, <c>7d</c>, <c>2w</c>, <c>90s</c>, combined as
/// <c>1h30m</c>), a <see cref="TimeSpan"/>, or a point in time (<see cref="DateTime"/>, <see cref="DateTimeOffset"/> or a
/// date string such as <c>2026-11-01</c> or <c>2026-11-01T08:00Z</c>; a date without an offset is local time).
/// </summary>
public static class AuditSince
{
    private static readonly Regex Duration = new(@"^\s*(?:(\d{1,9})\s*([smhdw])\s*)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public const string Expected = "a duration such as 30m, 24h or 7d, a TimeSpan, or a date such as 2026-11-01 or 2026-11-01T08:00Z";

    /// <summary>Returns the instant, or null with <paramref name="error"/> saying what was wrong.</summary>
    public static DateTimeOffset? TryParse(object? value, DateTimeOffset now, out string? error)
    {
        error = null;
        switch (value)
        {
            case null:
                error = $"The since value is empty; give {Expected}.";
                return null;
            case TimeSpan span:
                if (span < TimeSpan.Zero) { error = $"The since duration {span} is negative; give how far back to look, e.g. 24h."; return null; }
                return Back(now, span);
            case DateTimeOffset at:
                return at.ToUniversalTime();
            case DateTime at:
                return new DateTimeOffset(at.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(at, DateTimeKind.Local) : at).ToUniversalTime();
            case string text:
                return FromText(text, now, out error);
            default:
                return FromText(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", now, out error);
        }
    }

    private static DateTimeOffset? FromText(string text, DateTimeOffset now, out string? error)
    {
        error = null;
        var match = Duration.Match(text);
        if (match.Success)
        {
            var seconds = 0.0;
            for (var i = 0; i < match.Groups[1].Captures.Count; i++)
            {
                var n = double.Parse(match.Groups[1].Captures[i].Value, CultureInfo.InvariantCulture);
                seconds += n * char.ToLowerInvariant(match.Groups[2].Captures[i].Value[0]) switch
                {
                    's' => 1,
                    'm' => 60,
                    'h' => 3600,
                    'd' => 86400,
                    _ => 7 * 86400,
                };
            }
            // Further back than the calendar goes means "everything".
            if (seconds >= (now - DateTimeOffset.MinValue).TotalSeconds) return DateTimeOffset.MinValue;
            return Back(now, TimeSpan.FromSeconds(seconds));
        }
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && trimmed.All(char.IsDigit))
        {
            error = $"The since value '{text}' has no unit; write {trimmed}m, {trimmed}h or {trimmed}d.";
            return null;
        }
        if (trimmed.Length >= 8 && char.IsDigit(trimmed[0])
            && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at))
            return at.ToUniversalTime();
        error = $"The since value '{text}' is not {Expected}.";
        return null;
    }

    private static DateTimeOffset Back(DateTimeOffset now, TimeSpan span) =>
        now - DateTimeOffset.MinValue < span ? DateTimeOffset.MinValue : now - span;
}
