using System.Management.Automation;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Audit;
using static Patchwire.Tests.Audit.AuditTestData;

namespace Patchwire.Tests.Audit;

[Collection(PowerShellCollection.Name)]
public sealed class AuditCmdletTests : IDisposable
{
    private readonly TempDirectory _home = new("pw-audit-ps");
    private static readonly DateTimeOffset Now0 = DateTimeOffset.UtcNow;
    // The log keeps milliseconds.
    private readonly DateTimeOffset _now = new(Now0.Ticks - Now0.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    private readonly List<AuditEntry> _entries = new();

    public void Dispose() => _home.Dispose();

    private string Log => _home.Combine("agent.log");

    /// <summary>Three days of turns, one an hour, alternating users and routes, ending a minute ago.</summary>
    private void WriteThreeDays(string? path = null)
    {
        for (var h = 72; h >= 1; h--)
        {
            var ts = _now.AddHours(-h + 1).AddMinutes(-1);
            var n = 72 - h;
            _entries.Add(n % 3 == 2 ? Chat("ben", "team-web", ts, n) : Ask(n % 3 == 0 ? "ana" : "Anders", "team-app", ts, n));
        }
        WriteFile(path ?? Log, _entries);
    }

    [Fact]
    public void Returns_typed_entries_filtered_by_user_wildcard_and_since_oldest_first()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var output = ps.Invoke("Get-PatchwireAuditLog -User an* -Since 24h");
        var entries = output.Select(o => Assert.IsType<PatchwireAuditEntry>(o.BaseObject)).ToList();
        var expected = _entries.Where(e => e.User.StartsWith("an", StringComparison.OrdinalIgnoreCase) && e.Timestamp >= _now.AddHours(-24).AddSeconds(-5)).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(e => e.PromptSha256), entries.Select(e => e.PromptSha256));
        var first = entries[0];
        Assert.Equal(DateTimeKind.Utc, first.Timestamp.Kind);
        Assert.Equal(expected[0].Timestamp.UtcDateTime, first.Timestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(expected[0].DurationMs), first.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(expected[0].QueueWaitMs), first.QueueWait);
        Assert.Equal(expected[0].Files, first.Files);
        Assert.Equal("/ask", first.Route);

        var chats = ps.Invoke("Get-PatchwireAuditLog -Route chat -Limit 2").Select(o => (PatchwireAuditEntry)o.BaseObject).ToList();
        Assert.Equal(_entries.Where(e => e.Route == "/chat").TakeLast(2).Select(e => e.Uuid), chats.Select(c => c.Uuid));
        Assert.All(chats, c => Assert.NotNull(c.TokensIn));
    }

    [Fact]
    public void Limit_defaults_to_100_zero_means_all_and_pipeline_grouping_works()
    {
        for (var i = 0; i < 130; i++) _entries.Add(Ask(i % 2 == 0 ? "ana" : "ben", "p", _now.AddMinutes(-200 + i), i));
        WriteFile(Log, _entries);
        using var ps = new PowerShellSession(_home.Path);
        Assert.Equal(100, ps.Invoke("Get-PatchwireAuditLog").Count);
        Assert.Equal(_entries.Last().PromptSha256, ((PatchwireAuditEntry)ps.Invoke("Get-PatchwireAuditLog").Last().BaseObject).PromptSha256);
        Assert.Equal(130, ps.Invoke("Get-PatchwireAuditLog -Limit 0").Count);
        var groups = ps.Invoke("Get-PatchwireAuditLog -Limit 0 | Group-Object User | Sort-Object Name | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }");
        Assert.Equal(new[] { "ana=65", "ben=65" }, groups.Select(g => g.ToString()));
        var piped = ps.Invoke("[pscustomobject]@{ Name = 'ben' } | Get-PatchwireAuditLog -Limit 3");
        Assert.All(piped, o => Assert.Equal("ben", ((PatchwireAuditEntry)o.BaseObject).User));
        Assert.Equal(3, piped.Count);
    }

    [Fact]
    public void Raw_returns_the_json_lines_unchanged_and_path_reads_another_log()
    {
        var other = _home.Combine("elsewhere", "team.log");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        WriteThreeDays(other);
        using var ps = new PowerShellSession(_home.Path);
        var raw = ps.Invoke("Get-PatchwireAuditLog -Path $p -Raw -Project TEAM-WEB -Limit 0", new Dictionary<string, object?> { ["p"] = other });
        var expected = Lines(other).Where(l => l.Contains("\"team-web\"")).ToList();
        Assert.Equal(expected, raw.Select(o => Assert.IsType<string>(o.BaseObject)));
    }

    [Fact]
    public void A_bad_since_is_a_terminating_error_naming_the_value()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        // try/catch only sees terminating errors; nothing reaches the pipeline before it.
        var caught = ps.Invoke("try { Get-PatchwireAuditLog -Since 24x; 'not stopped' } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(Assert.Single(caught).BaseObject);
        Assert.Contains("'24x'", error.Exception.Message);
        Assert.Contains("24h", error.Exception.Message);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("Patchwire.InvalidSince,Patchwire.PowerShell.Audit.GetPatchwireAuditLogCommand", error.FullyQualifiedErrorId);
    }

    [Theory]
    [InlineData("-Since 7d", 72)] // PowerShell reads 7d as a decimal literal
    [InlineData("-Since 36000s", 10)] // and 36000s as a short
    [InlineData("-Since 600m", 10)]
    [InlineData("-Since '1d'", 24)]
    public void Since_durations_typed_as_powershell_number_literals_keep_their_unit(string since, int expected)
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        Assert.Equal(expected, ps.Invoke($"Get-PatchwireAuditLog {since} -Limit 0").Count);
    }

    [Fact]
    public void A_bare_number_for_since_is_refused_for_lack_of_a_unit()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var caught = ps.Invoke("try { Get-PatchwireAuditLog -Since 24 } catch { $_ }");
        Assert.Contains("has no unit", Assert.IsType<ErrorRecord>(Assert.Single(caught).BaseObject).Exception.Message);
    }

    [Fact]
    public void Since_takes_a_timespan_or_a_datetime()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var bySpan = ps.Invoke("Get-PatchwireAuditLog -Since ([timespan]::FromHours(10)) -Limit 0").Count;
        var byDate = ps.Invoke("Get-PatchwireAuditLog -Since ([datetime]::UtcNow.AddHours(-10)) -Limit 0").Count;
        Assert.InRange(bySpan, 9, 11);
        Assert.Equal(bySpan, byDate);
    }

    [Fact]
    public void A_negative_limit_is_refused_by_parameter_validation()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var caught = ps.Invoke("try { Get-PatchwireAuditLog -Limit -1; 'not stopped' } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(Assert.Single(caught).BaseObject);
        Assert.Contains("Limit", error.ToString());
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
    }

    [Fact]
    public void A_missing_log_is_an_object_not_found_error_and_an_empty_log_is_empty_output()
    {
        using var ps = new PowerShellSession(_home.Path);
        var (output, errors) = ps.Run("Get-PatchwireAuditLog");
        Assert.Empty(output);
        var error = Assert.Single(errors);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains(Log, error.Exception.Message);

        File.WriteAllText(Log, "");
        Assert.Empty(ps.Invoke("Get-PatchwireAuditLog -WarningVariable w"));
        Assert.Empty((System.Collections.ICollection)ps.GetVariable("w")!);
    }

    [Fact]
    public void Skipped_lines_are_counted_in_one_warning()
    {
        File.WriteAllText(Log, Line(Ask("ana", "p", _now.AddMinutes(-3))) + "garbage\n" + Line(Ask("ana", "p", _now.AddMinutes(-2), 1)) + "{\"ts\":\"20");
        using var ps = new PowerShellSession(_home.Path);
        var output = ps.Invoke("Get-PatchwireAuditLog -WarningVariable w");
        Assert.Equal(2, output.Count);
        var warning = Assert.Single((System.Collections.IEnumerable)ps.GetVariable("w")!);
        Assert.Contains("Skipped 2 torn or malformed lines", warning.ToString());
    }

    [Fact]
    public void The_default_view_is_a_table()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var text = string.Join("\n", ps.Invoke("Get-PatchwireAuditLog -Limit 3 | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Matches(@"Timestamp\s+User\s+Project\s+Route\s+Duration\s+Outcome", text);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", text);
        Assert.Contains("team-", text);
        Assert.Matches(@"\d+/\d+ tokens|\d+ files? \+\d+ -\d+ exit 0", text);
    }

    [Fact]
    public void The_log_verb_prints_aligned_lines_and_raw_json()
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var pretty = ps.Invoke("patchwire-agent log --user ben --since 24h").Select(o => o.ToString()!).ToList();
        Assert.Equal(0, ps.GetVariable("LASTEXITCODE"));
        var expected = _entries.Where(e => e.User == "ben" && e.Timestamp >= _now.AddHours(-24).AddSeconds(-5)).ToList();
        Assert.Equal(expected.Count, pretty.Count);
        Assert.All(pretty, l => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  ben  team-web  /chat  +\d+\.\ds  wait \d+\.\ds +\d+ in / \d+ out tokens$", l));
        Assert.Single(pretty.Select(l => l.IndexOf("wait", StringComparison.Ordinal)).Distinct());

        var json = ps.Invoke("patchwire-agent log --project team-app --limit 4 --json").Select(o => o.ToString()).ToList();
        Assert.Equal(Lines(Log).Where(l => l.Contains("\"team-app\"")).TakeLast(4), json);
        Assert.Equal(72, ps.Invoke("patchwire-agent log").Count);
        Assert.Equal(10, ps.Invoke("patchwire-agent log --limit 10").Count);
        Assert.Equal(72, ps.Invoke("patchwire-agent log --limit=0").Count);
    }

    [Theory]
    [InlineData("--since 24x", "24x")]
    [InlineData("--limit -1", "--limit")]
    [InlineData("--limit ten", "--limit")]
    [InlineData("--route push", "--route")]
    [InlineData("--user", "needs a value")]
    [InlineData("--colour red", "unknown option")]
    public void The_log_verb_refuses_bad_values_with_exit_2_and_points_at_its_usage(string arguments, string mention)
    {
        WriteThreeDays();
        using var ps = new PowerShellSession(_home.Path);
        var (output, errors) = ps.Run("patchwire-agent log " + arguments);
        Assert.Empty(output);
        Assert.Equal(2, ps.GetVariable("LASTEXITCODE"));
        var message = Assert.Single(errors).ToString();
        Assert.Contains(mention, message);
        Assert.EndsWith("Run 'patchwire-agent log --help' for usage.", message); // one concise line, not the usage text
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void The_log_verb_fails_with_exit_1_on_a_missing_log_and_prints_nothing_for_an_empty_one()
    {
        using var ps = new PowerShellSession(_home.Path);
        var (_, errors) = ps.Run("patchwire-agent log");
        Assert.Equal(1, ps.GetVariable("LASTEXITCODE"));
        Assert.Contains("no audit log at " + Log, Assert.Single(errors).ToString());

        File.WriteAllText(Log, "");
        Assert.Empty(ps.Invoke("patchwire-agent log --json"));
        Assert.Empty(ps.Invoke("patchwire-agent log"));
        Assert.Equal(0, ps.GetVariable("LASTEXITCODE"));
    }

    [Fact]
    public void The_log_verb_reads_PW_AUDIT_LOG_when_set()
    {
        var custom = _home.Combine("custom", "audit.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(custom)!);
        WriteThreeDays(custom);
        using var ps = new PowerShellSession(_home.Path, new Dictionary<string, string?> { ["PW_AUDIT_LOG"] = custom });
        Assert.Equal(5, ps.Invoke("patchwire-agent log --limit 5 --json").Count);
        Assert.Equal(72, ps.Invoke("Get-PatchwireAuditLog -Limit 0").Count);
    }
}
