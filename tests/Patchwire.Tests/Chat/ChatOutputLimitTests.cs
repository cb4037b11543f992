using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

/// <summary>
/// What a chat AI writes is bounded like /ask's stdout: a line without end and a reply without end each stop the AI,
/// fail the turn with a message saying which, restore the checkout, and never take the agent's memory with them.
/// </summary>
public sealed class ChatOutputLimitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The agent's peak resident memory so far (VmHWM), in bytes.</summary>
    private static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [Fact]
    public async Task An_ai_printing_400_MB_without_a_newline_fails_the_turn_and_the_agent_stays_under_300_MB()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = Guid.NewGuid().ToString();
        await using (var first = await ChatStream.TurnAsync(client, uuid, "say: one")) Assert.Equal("chat_done", ChatStream.Type(first.Last));

        await using var flood = await ChatStream.TurnAsync(client, uuid, "write: src/app.txt flooded\nsay: here it comes\nflood: 400\nsay: never read");
        var error = flood.Last;
        Assert.Equal("error", ChatStream.Type(error));
        Assert.Equal("turn_failed", error.GetProperty("code").GetString());
        Assert.True(error.GetProperty("recoverable").GetBoolean());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("a line of more than 4194304 characters without a newline", message);
        Assert.Contains("The AI was stopped", message);
        Assert.Equal("here it comes", flood.Text);
        Assert.DoesNotContain(flood.Events, e => ChatStream.Type(e) is "chat_diff" or "chat_done");
        var peak = PeakRss(bed.Agent.Pid);
        output.WriteLine($"agent peak RSS (VmHWM) after a 400 MiB line: {peak / (1024 * 1024)} MiB");
        Assert.True(peak < 300L * 1024 * 1024, $"agent peak RSS {peak / (1024 * 1024)} MB");

        CheckoutAssert.SameTree(before, repo.Path);
        var status = await bed.StatusAsync("ana", uuid);
        Assert.Equal("error", status.GetProperty("status").GetString());
        Assert.Contains("without a newline", status.GetProperty("errorMessage").GetString());
        Assert.Single(bed.AuditLines());

        // The session goes on.
        await using var next = await ChatStream.TurnAsync(client, uuid, "say: turn {turn}");
        Assert.Equal("turn 2", next.Text);
    }

    [Fact]
    public async Task A_reply_longer_than_the_limit_fails_the_turn_after_streaming_up_to_it()
    {
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");
        var uuid = Guid.NewGuid().ToString();

        // 6,000 messages of 1 KiB: past the 4 MiB reply limit. Short lines, so only the reply's length stops it.
        await using var chatty = await ChatStream.TurnAsync(client, uuid, "write: new.txt x\nchatter: 6000");
        var error = chatty.Last;
        Assert.Equal("error", ChatStream.Type(error));
        Assert.Equal("turn_failed", error.GetProperty("code").GetString());
        Assert.Contains("its reply was longer than 4194304 characters", error.GetProperty("message").GetString());
        Assert.InRange(chatty.Text.Length, 1, 4 * 1024 * 1024);
        Assert.DoesNotContain(chatty.Events, e => ChatStream.Type(e) is "chat_diff" or "chat_done");
        Assert.Equal(1, chatty.Events.Count(e => ChatStream.Type(e) == "chat_turn_start"));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.Empty(bed.AuditLines());

        // Just under it is fine.
        await using var fits = await ChatStream.TurnAsync(client, uuid, "chatter: 3000");
        Assert.Equal("chat_done", ChatStream.Type(fits.Last));
    }
}
