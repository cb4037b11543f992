using Patchwire.Core.Audit;

namespace Patchwire.Tests.Audit;

public sealed class AuditSinceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("24h", 24 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("2w", 14 * 86400)]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 5400)]
    [InlineData(" 24H ", 24 * 3600)]
    public void Durations_count_back_from_now(string text, int seconds)
    {
        Assert.Equal(Now.AddSeconds(-seconds), AuditSince.TryParse(text, Now, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("24x")]
    [InlineData("24")]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("-5h")]
    [InlineData("yesterday")]
    public void Bad_values_are_refused_with_a_reason(string text)
    {
        Assert.Null(AuditSince.TryParse(text, Now, out var error));
        Assert.Contains(text.Trim(), error);
        Assert.Contains("24h", error);
    }

    [Fact]
    public void TimeSpans_and_dates_are_accepted_and_a_negative_span_is_not()
    {
        Assert.Equal(Now.AddHours(-2), AuditSince.TryParse(TimeSpan.FromHours(2), Now, out _));
        Assert.Null(AuditSince.TryParse(TimeSpan.FromHours(-2), Now, out var error));
        Assert.Contains("negative", error);
        var utc = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTimeOffset(utc), AuditSince.TryParse(utc, Now, out _));
        Assert.Equal(new DateTimeOffset(utc), AuditSince.TryParse("2026-11-01T08:00Z", Now, out _));
        Assert.Equal(new DateTimeOffset(utc), AuditSince.TryParse(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.FromHours(1)), Now, out _));
        var local = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Unspecified);
        Assert.Equal(new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Local)).ToUniversalTime(), AuditSince.TryParse(local, Now, out _));
        Assert.Equal(DateTimeOffset.MinValue, AuditSince.TryParse("999999999w", Now, out _));
    }
}
