using System.Text;
using Patchwire.Core.Audit;
using static Patchwire.Tests.Audit.AuditTestData;

namespace Patchwire.Tests.Audit;

public sealed class AuditReaderTests
{
    private static List<AuditRecord> Read(string log, AuditQuery query, out int skipped)
    {
        var reader = new AuditReader(log);
        var result = reader.Read(query).ToList();
        skipped = reader.SkippedLines;
        return result;
    }

    private static List<AuditRecord> Read(string log, AuditQuery query) => Read(log, query, out _);

    [Fact]
    public void Rotated_and_live_files_are_read_oldest_first_and_a_missing_dot_one_is_tolerated()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var all = Enumerable.Range(0, 9).Select(i => Ask("ana", "p", Start.AddMinutes(i), i)).ToList();
        WriteFile(log + ".3", all.Take(3));
        WriteFile(log + ".2", all.Skip(3).Take(3));
        WriteFile(log, all.Skip(6)); // .1 is missing: a gap in the set

        foreach (var limit in new[] { 0, 4, 100 })
        {
            var read = Read(log, new AuditQuery { Limit = limit }, out var skipped);
            var expected = limit == 0 ? all : all.Skip(Math.Max(0, all.Count - limit)).ToList();
            Assert.Equal(expected.Select(e => e.PromptSha256), read.Select(r => r.Entry.PromptSha256));
            Assert.Equal(0, skipped);
        }
    }

    [Fact]
    public void Filters_apply_before_the_limit_and_the_last_matches_come_oldest_first()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var entries = new List<AuditEntry>();
        for (var i = 0; i < 200; i++)
            entries.Add(i % 20 == 0 ? Ask("ana", "team-app", Start.AddMinutes(i), i) : Ask("ben", "other", Start.AddMinutes(i), i));
        WriteFile(log, entries);

        var read = Read(log, new AuditQuery { User = AuditTextFilter.Equal("ana"), Limit = 5 });
        var expected = entries.Where(e => e.User == "ana").Skip(5).Select(e => e.Timestamp).ToList();
        Assert.Equal(expected, read.Select(r => r.Entry.Timestamp));
    }

    [Fact]
    public void Any_query_returns_what_a_plain_scan_of_every_line_would_across_chunks_and_files()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var random = new Random(4);
        var users = new[] { "ana", "Ben", "carla", "dev-ops", "ana2" };
        var projects = new[] { "team-app", "api", "team-web", "docs" };
        var all = new List<AuditEntry>();
        var ts = Start;
        for (var i = 0; i < 9000; i++)
        {
            ts = ts.AddSeconds(random.Next(1, 400));
            var user = users[random.Next(users.Length)];
            var project = projects[random.Next(projects.Length)];
            all.Add(random.Next(4) == 0 ? Chat(user, project, ts, i) : Ask(user, project, ts, i));
        }
        // ~2.3 MB over four files (each spans several 256 KiB chunks), one written with escapes and CRLF endings.
        WriteFile(log + ".3", all.Take(2000));
        WriteFile(log + ".2", all.Skip(2000).Take(2500));
        var escaped = new StringBuilder();
        foreach (var e in all.Skip(4500).Take(2000))
            escaped.Append(Line(e).Replace("\"user\":\"ana\"", "\"user\":\"\\u0061na\"").Replace("\n", "\r\n"));
        File.WriteAllText(log + ".1", escaped.ToString());
        WriteFile(log, all.Skip(6500));
        var end = ts;

        var queries = new List<(string Name, AuditQuery Query, Func<AuditEntry, bool> Expect)>();
        foreach (var limit in new[] { 0, 1, 7, 100, 5000 })
        {
            queries.Add(("all", new AuditQuery { Limit = limit }, _ => true));
            queries.Add(("user ana", new AuditQuery { Limit = limit, User = AuditTextFilter.Equal("ANA") }, e => e.User == "ana"));
            queries.Add(("user wildcard", new AuditQuery { Limit = limit, User = new AuditTextFilter(u => u.StartsWith("ana", StringComparison.OrdinalIgnoreCase), "ana") }, e => e.User.StartsWith("ana")));
            queries.Add(("project and route", new AuditQuery { Limit = limit, Project = AuditTextFilter.Equal("team-web"), Route = AuditTextFilter.Equal("/chat") }, e => e.Project == "team-web" && e.Route == "/chat"));
            foreach (var back in new[] { TimeSpan.FromHours(3), TimeSpan.FromDays(4), TimeSpan.FromDays(400) })
            {
                var since = end - back;
                queries.Add(($"since {back}", new AuditQuery { Limit = limit, Since = since }, e => e.Timestamp >= since));
                queries.Add(($"since {back} user Ben", new AuditQuery { Limit = limit, Since = since, User = AuditTextFilter.Equal("ben") }, e => e.Timestamp >= since && e.User == "Ben"));
            }
        }
        foreach (var (name, query, expect) in queries)
        {
            var matches = all.Where(expect).ToList();
            var expected = query.Limit == 0 ? matches : matches.Skip(Math.Max(0, matches.Count - query.Limit)).ToList();
            var read = Read(log, query, out var skipped);
            Assert.True(expected.Select(e => e.PromptSha256).SequenceEqual(read.Select(r => r.Entry.PromptSha256)),
                $"{name}, limit {query.Limit}: expected {expected.Count} entries, read {read.Count}");
            Assert.Equal(0, skipped);
        }
    }

    [Fact]
    public void With_a_limit_and_since_reading_stops_at_the_lines_older_than_needed()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        // The old file is garbage past its first bytes: reading it at all would count skipped lines.
        File.WriteAllText(log + ".1", "not json\n" + string.Join("\n", Enumerable.Repeat("garbage", 1000)) + "\n");
        var recent = Enumerable.Range(0, 50).Select(i => Ask("ana", "p", Start.AddDays(10).AddMinutes(i), i)).ToList();
        WriteFile(log, new[] { Ask("old", "p", Start, 99) }.Concat(recent));

        var read = Read(log, new AuditQuery { Since = Start.AddDays(9), Limit = 1000 }, out var skipped);
        Assert.Equal(50, read.Count);
        Assert.Equal(0, skipped);
        read = Read(log, new AuditQuery { Since = Start.AddDays(9), Limit = 0 }, out skipped);
        Assert.Equal(50, read.Count);
        Assert.Equal(0, skipped);
    }

    [Fact]
    public void A_torn_final_line_is_skipped_and_counted()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var entries = Enumerable.Range(0, 3).Select(i => Ask("ana", "p", Start.AddMinutes(i), i)).ToList();
        WriteFile(log, entries, Line(Ask("ana", "p", Start.AddMinutes(5), 5)).Substring(0, 60));
        foreach (var limit in new[] { 0, 100 })
        {
            var read = Read(log, new AuditQuery { Limit = limit }, out var skipped);
            Assert.Equal(entries.Select(e => e.PromptSha256), read.Select(r => r.Entry.PromptSha256));
            Assert.Equal(1, skipped);
        }
    }

    [Fact]
    public void Garbage_lines_in_the_middle_are_skipped_and_counted_and_never_fatal()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var a = Line(Ask("ana", "p", Start, 1));
        var b = Line(Ask("ana", "p", Start.AddMinutes(1), 2));
        var c = Line(Ask("ana", "p", Start.AddMinutes(2), 3));
        var garbage = string.Join("\n",
            "this is not json",
            "{\"ts\":\"2026-11-01T00:00:30.000Z\",\"user\":\"ana\",\"files\":\"three\"}", // wrong type
            "{\"user\":\"ana\"}", // no ts
            "{\"ts\":\"yesterday\",\"user\":\"ana\"}", // bad ts
            "{\"ts\":\"2026-11-01T00:00:30.000Z\",\"user\":\"ana\"} trailing",
            "\u0001\u0002binary\u00ff") + "\n";
        File.WriteAllText(log, a + garbage + b + "\n   \n" + c);
        foreach (var limit in new[] { 0, 2, 100 })
        {
            var read = Read(log, new AuditQuery { Limit = limit }, out var skipped);
            var expected = new[] { a, b, c }.Skip(limit == 2 ? 1 : 0).Select(l => l.TrimEnd('\n'));
            Assert.Equal(expected, read.Select(r => r.Line));
            if (limit != 2) Assert.Equal(6, skipped); // the two-line read stops before reaching them
        }
    }

    [Fact]
    public void An_overlong_line_without_newlines_is_skipped_in_bounded_memory()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var a = Line(Ask("ana", "p", Start, 1));
        var b = Line(Ask("ana", "p", Start.AddMinutes(1), 2));
        File.WriteAllText(log, a + new string('x', 5 * 1024 * 1024) + "\n" + b);
        foreach (var limit in new[] { 0, 100 })
        {
            var read = Read(log, new AuditQuery { Limit = limit }, out var skipped);
            Assert.Equal(new[] { a, b }.Select(l => l.TrimEnd('\n')), read.Select(r => r.Line));
            Assert.Equal(1, skipped);
        }
    }

    [Fact]
    public void An_empty_log_reads_as_nothing_and_a_missing_one_does_not_exist()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        Assert.False(new AuditReader(log).Exists);
        File.WriteAllText(log, "");
        var reader = new AuditReader(log);
        Assert.True(reader.Exists);
        Assert.Empty(reader.Read(new AuditQuery()));
        Assert.Empty(reader.Read(new AuditQuery { Limit = 0, Since = Start }));
        Assert.Equal(0, reader.SkippedLines);
    }

    [Fact]
    public void A_negative_limit_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditReader("agent.log").Read(new AuditQuery { Limit = -1 }));
    }

    [Fact]
    public void Lines_written_by_another_serializer_with_spaces_and_another_order_are_read()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        File.WriteAllText(log,
            "{ \"user\": \"ana\", \"route\": \"/ask\", \"ts\": \"2026-11-01T10:00:00Z\", \"project\": \"p\", \"extra\": {\"nested\": [1, 2]} }\n" +
            "{\"user\":\"ben\",\"ts\":\"2026-11-01T11:00:00.5+01:00\",\"route\":\"/chat\",\"project\":\"p\"}\n");
        var ana = Assert.Single(Read(log, new AuditQuery { User = AuditTextFilter.Equal("ana"), Since = Start }));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero), ana.Entry.Timestamp);
        var ben = Assert.Single(Read(log, new AuditQuery { Route = AuditTextFilter.Equal("/chat"), Limit = 0 }));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 0, 500, TimeSpan.Zero), ben.Entry.Timestamp.ToUniversalTime());
    }

    [Fact]
    public void Reading_while_the_writer_rotates_sees_only_whole_lines()
    {
        using var dir = new TempDirectory("pw-audit");
        var writer = new AuditWriter(dir.Combine("agent.log"), maxBytes: 4096, maxFiles: 1000);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++) writer.Append(Ask("ana", "p", default, i));
        });
        try
        {
            var until = DateTime.UtcNow.AddSeconds(1.5);
            while (DateTime.UtcNow < until)
            {
                var reader = new AuditReader(writer.Path);
                var read = reader.Read(new AuditQuery { Limit = 0 }).ToList();
                Assert.Equal(read.Count, read.Select(r => r.Entry.PromptSha256).Distinct().Count());
                Assert.True(reader.SkippedLines <= 1, $"{reader.SkippedLines} lines skipped"); // at most the one being written
            }
        }
        finally
        {
            stop.Cancel();
            writing.Wait();
        }
    }
}
