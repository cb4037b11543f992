using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.Core.IO;
using static Patchwire.Tests.Audit.AuditTestData;

namespace Patchwire.Tests.Audit;

public sealed class AuditWriterTests
{
    [Fact]
    public void An_ask_line_has_exactly_the_ask_fields_with_a_millisecond_utc_timestamp()
    {
        var entry = Ask("ana", "team-app", new DateTimeOffset(2026, 11, 25, 16, 4, 5, 123, TimeSpan.FromHours(1)), 4);
        var line = Line(entry);

        Assert.EndsWith("}\n", line);
        Assert.Single(line.Split('\n'), l => l.Length > 0);
        Assert.StartsWith("{\"ts\":\"2026-11-25T15:04:05.123Z\",\"user\":\"ana\",", line);
        using var doc = JsonDocument.Parse(line);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "ts", "user", "project", "route", "prompt_sha256", "duration_ms", "queue_wait_ms", "files", "lines_added", "lines_removed", "exit_code" }, names);
        Assert.Equal(AuditEntry.HashPrompt("prompt 4"), doc.RootElement.GetProperty("prompt_sha256").GetString());
        Assert.Equal(1004, doc.RootElement.GetProperty("duration_ms").GetInt64());
    }

    [Fact]
    public void A_chat_line_has_the_chat_fields_and_no_ask_fields()
    {
        using var doc = JsonDocument.Parse(Line(Chat("ben", "api", Start, 9)));
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "ts", "user", "project", "route", "prompt_sha256", "duration_ms", "queue_wait_ms", "uuid", "tokens_in", "tokens_out" }, names);
        Assert.Equal(109, doc.RootElement.GetProperty("tokens_in").GetInt64());
    }

    [Fact]
    public void The_prompt_hash_is_the_sha256_hex_of_its_utf8_bytes()
    {
        // sha256("abc"), a published test vector
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", AuditEntry.HashPrompt("abc"));
        Assert.Equal(64, AuditEntry.HashPrompt("héllo ✓").Length);
    }

    [Fact]
    public void An_entry_without_a_timestamp_is_stamped_when_appended()
    {
        using var dir = new TempDirectory("pw-audit");
        var writer = new AuditWriter(dir.Combine("agent.log"));
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var entry = Ask("ana", "p", default);
        writer.Append(entry);
        Assert.Equal(default, entry.Timestamp); // the caller's object is left alone
        Assert.True(AuditLineFormat.TryParse(File.ReadAllBytes(writer.Path).AsSpan(0, (int)new FileInfo(writer.Path).Length - 1), out var read));
        Assert.InRange(read.Timestamp, before, DateTimeOffset.UtcNow.AddMilliseconds(1));
    }

    [Fact]
    public void Concurrent_appends_from_many_threads_are_all_whole_valid_lines()
    {
        using var dir = new TempDirectory("pw-audit");
        // A small rotation size makes threads race across rotations too; enough files are kept to lose nothing.
        var writer = new AuditWriter(dir.Combine("agent.log"), maxBytes: 16 * 1024, maxFiles: 100);
        const int threads = 12, each = 40;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (var i = 0; i < each; i++) writer.Append(Ask($"user{t}", $"project-{i}", Start.AddSeconds(i), t * 1000 + i));
        });

        var lines = AuditFileSet.NewestFirst(writer.Path).SelectMany(Lines).ToList();
        Assert.Equal(threads * each, lines.Count);
        var seen = new HashSet<string>();
        foreach (var line in lines)
        {
            Assert.True(AuditLineFormat.TryParse(System.Text.Encoding.UTF8.GetBytes(line), out var e), "not a valid audit line: " + line);
            Assert.True(seen.Add(e.PromptSha256), "duplicate line " + line);
        }
        Assert.All(AuditFileSet.NewestFirst(writer.Path), f => Assert.InRange(new FileInfo(f).Length, 1, 16 * 1024));
    }

    [Fact]
    public void Concurrent_appends_from_two_processes_and_this_one_are_all_whole_valid_lines()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var core = typeof(AuditWriter).Assembly.Location;
        const int perProcess = 150;
        string Script(string user) => $@"
$ErrorActionPreference = 'Stop'
Add-Type -Path '{core}'
$w = [Patchwire.Core.Audit.AuditWriter]::new('{log}', 8192, 500, $null)
for ($i = 0; $i -lt {perProcess}; $i++) {{
    $e = [Patchwire.Core.Audit.AuditEntry]::new()
    $e.User = '{user}'; $e.Project = 'p'; $e.Route = '/ask'; $e.PromptSha256 = ('{user}-' + $i); $e.Files = $i
    $w.Append($e)
}}";
        var children = new[] { "proc-a", "proc-b" }.Select(user => Task.Run(() =>
            ProcessRunner.Run("dotnet", new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", Script(user) }, cwd: TestPaths.RepoRoot, timeout: TimeSpan.FromMinutes(3)))).ToArray();
        var writer = new AuditWriter(log, 8192, 500);
        var mine = 0;
        while (!children.All(c => c.IsCompleted) || mine < 100)
        {
            writer.Append(new AuditEntry { User = "test", Project = "p", Route = "/ask", PromptSha256 = "test-" + mine });
            mine++;
            Thread.Sleep(10);
        }
        foreach (var child in children) child.Result.EnsureSuccess("writer process");

        var entries = AuditFileSet.NewestFirst(log).SelectMany(Lines).Select(l =>
        {
            Assert.True(AuditLineFormat.TryParse(System.Text.Encoding.UTF8.GetBytes(l), out var e), "not a valid audit line: " + l);
            return e;
        }).ToList();
        Assert.Equal(2 * perProcess + mine, entries.Count);
        Assert.Equal(entries.Count, entries.Select(e => e.PromptSha256).Distinct().Count());
        Assert.Equal(perProcess, entries.Count(e => e.User == "proc-a"));
        Assert.Equal(perProcess, entries.Count(e => e.User == "proc-b"));
        Assert.All(AuditFileSet.NewestFirst(log), f => Assert.InRange(new FileInfo(f).Length, 1, 8192));
    }

    [Fact]
    public void Rotation_happens_exactly_when_the_next_line_would_pass_the_limit()
    {
        using var dir = new TempDirectory("pw-audit");
        var entries = Enumerable.Range(0, 4).Select(i => Ask("ana", "p", Start.AddSeconds(i), i)).ToList();
        var size = AuditLineFormat.Serialize(entries[0]).Length;
        Assert.All(entries, e => Assert.Equal(size, AuditLineFormat.Serialize(e).Length));

        // At the limit: three lines fill the file exactly and stay; the fourth rotates.
        var exact = new AuditWriter(dir.Combine("exact", "agent.log"), maxBytes: 3 * size, maxFiles: 3);
        foreach (var e in entries.Take(3)) exact.Append(e);
        Assert.Equal(3 * size, new FileInfo(exact.Path).Length);
        Assert.False(File.Exists(exact.Path + ".1"));
        exact.Append(entries[3]);
        Assert.Equal(3 * size, new FileInfo(exact.Path + ".1").Length);
        Assert.Equal(size, new FileInfo(exact.Path).Length);
        Assert.Equal(Line(entries[3]).TrimEnd('\n'), Assert.Single(Lines(exact.Path)));

        // One byte under: the third line would pass it, so it starts the next file.
        var under = new AuditWriter(dir.Combine("under", "agent.log"), maxBytes: 3 * size - 1, maxFiles: 3);
        foreach (var e in entries.Take(3)) under.Append(e);
        Assert.Equal(2 * size, new FileInfo(under.Path + ".1").Length);
        Assert.Equal(size, new FileInfo(under.Path).Length);
    }

    [Fact]
    public void Rotation_keeps_max_files_rotated_files_newest_first_and_drops_leftovers()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        File.WriteAllText(log + ".7", "left over from a larger PW_AUDIT_LOG_MAX_FILES\n");
        var entries = Enumerable.Range(0, 10).Select(i => Ask("ana", "p", Start.AddSeconds(i), i)).ToList();
        var size = AuditLineFormat.Serialize(entries[0]).Length;
        var writer = new AuditWriter(log, maxBytes: size, maxFiles: 2); // one line per file
        foreach (var e in entries) writer.Append(e);

        Assert.Equal(new[] { log, log + ".1", log + ".2" }, AuditFileSet.NewestFirst(log));
        Assert.Equal(Line(entries[9]).TrimEnd('\n'), Assert.Single(Lines(log)));
        Assert.Equal(Line(entries[8]).TrimEnd('\n'), Assert.Single(Lines(log + ".1")));
        Assert.Equal(Line(entries[7]).TrimEnd('\n'), Assert.Single(Lines(log + ".2")));
    }

    [Fact]
    public void With_zero_rotated_files_the_live_file_starts_over()
    {
        using var dir = new TempDirectory("pw-audit");
        var entries = Enumerable.Range(0, 5).Select(i => Ask("ana", "p", Start.AddSeconds(i), i)).ToList();
        var size = AuditLineFormat.Serialize(entries[0]).Length;
        var writer = new AuditWriter(dir.Combine("agent.log"), maxBytes: 2 * size, maxFiles: 0);
        foreach (var e in entries) writer.Append(e);
        Assert.Equal(new[] { writer.Path }, AuditFileSet.NewestFirst(writer.Path));
        Assert.Equal(new[] { Line(entries[4]).TrimEnd('\n') }, Lines(writer.Path));
    }

    [Fact]
    public void A_line_longer_than_the_limit_gets_a_file_of_its_own_unsplit()
    {
        using var dir = new TempDirectory("pw-audit");
        var writer = new AuditWriter(dir.Combine("agent.log"), maxBytes: 1024, maxFiles: 3);
        writer.Append(Ask("ana", "p", Start, 1));
        var huge = Chat("ana", "p", Start.AddSeconds(1), 2);
        huge.Uuid = new string('u', 2000);
        writer.Append(huge);
        writer.Append(Ask("ana", "p", Start.AddSeconds(2), 3));
        Assert.Equal(Line(huge).TrimEnd('\n'), Assert.Single(Lines(writer.Path + ".1")));
        Assert.Single(Lines(writer.Path + ".2"));
        Assert.Single(Lines(writer.Path));
    }

    [Fact]
    public void A_torn_last_line_is_closed_off_so_the_next_line_stays_whole()
    {
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        File.WriteAllText(log, Line(Ask("ana", "p", Start, 1)) + "{\"ts\":\"2026-11-01T00:00:01.000Z\",\"us");
        new AuditWriter(log).Append(Ask("ben", "p", Start.AddSeconds(2), 2));
        var lines = Lines(log);
        Assert.Equal(3, lines.Count);
        Assert.Equal(Line(Ask("ben", "p", Start.AddSeconds(2), 2)).TrimEnd('\n'), lines[2]);
    }

    [Fact]
    public void The_log_its_rotated_files_and_the_lock_file_are_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // mode bits exist on Unix only
        using var dir = new TempDirectory("pw-audit");
        var writer = new AuditWriter(dir.Combine("logs", "agent.log"), maxBytes: 1024, maxFiles: 2);
        for (var i = 0; i < 12; i++) writer.Append(Ask("ana", "p", Start.AddSeconds(i), i));
        Assert.True(File.Exists(writer.Path + ".2"));
        foreach (var file in new[] { writer.Path, writer.Path + ".1", writer.Path + ".2", writer.LockPath })
            Assert.Equal(0x180, OwnerOnly.GetUnixMode(file));
        Assert.StartsWith(".", Path.GetFileName(writer.LockPath)); // so that 'cat agent.log*' does not pick it up
    }

    [Fact]
    public void A_log_someone_else_created_world_readable_is_owner_only_after_the_next_append()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory("pw-audit");
        var log = dir.Combine("agent.log");
        var writer = new AuditWriter(log);
        foreach (var i in new[] { 1, 2 })
        {
            // Created first by someone else (an AI, an admin's shell with umask 022), before the first and between appends.
            if (File.Exists(log)) File.Delete(log);
            File.WriteAllText(log, "");
            File.SetUnixFileMode(log, (UnixFileMode)0x1A4); // 0644
            writer.Append(Ask("ana", "p", Start.AddSeconds(i), i));
            Assert.Equal(0x180, OwnerOnly.GetUnixMode(log));
        }
    }

    [Fact]
    public void An_unwritable_location_is_an_io_error_not_a_silent_loss()
    {
        using var dir = new TempDirectory("pw-audit");
        var blocker = dir.Combine("not-a-dir");
        File.WriteAllText(blocker, "a file where the log's folder should be");
        var writer = new AuditWriter(Path.Combine(blocker, "agent.log"));
        Assert.ThrowsAny<IOException>(() => writer.Append(Ask("ana", "p", Start)));
    }
}
