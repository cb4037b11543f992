using System.Net;
using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

/// <summary>'patchwire delete-session' and Remove-PatchwireChatSession against a session whose turn is still running.</summary>
[Collection(PowerShellCollection.Name)]
public sealed class SessionVerbTests
{
    [Fact]
    public async Task A_session_with_a_turn_in_flight_is_not_deleted_and_the_verb_says_why()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        using var client = bed.Client("ana");
        var busy = Guid.NewGuid().ToString();
        var release = Path.Combine(bed.Scratch, "release");
        await using var running = await ChatStream.OpenAsync(client, busy, $"say: working\nwait-for: {release}");
        await running.UntilAsync("chat_text", "working");

        using var laptop = new TempDirectory("pw-laptop");
        using var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = bed.Token("ana") });
        var vars = new Dictionary<string, object?> { ["id"] = busy };
        var (output, errors) = ps.Run("patchwire delete-session $id; \"exit=$LASTEXITCODE\"", vars);
        Assert.Equal("exit=1", output[^1].ToString());
        Assert.Contains($"Chat session {busy} has a turn queued or running", Assert.Single(errors).ToString());
        var (_, removeErrors) = ps.Run("Remove-PatchwireChatSession -Session $id -Confirm:$false", vars);
        Assert.Equal("Patchwire.Chat.TurnInFlight,Patchwire.PowerShell.Chat.RemovePatchwireChatSessionCommand", Assert.Single(removeErrors).FullyQualifiedErrorId);
        Assert.Equal("in_flight", (await bed.StatusAsync("ana", busy)).GetProperty("status").GetString());

        File.WriteAllText(release, "");
        await running.ReadAllAsync();
        Assert.Equal("chat_done", ChatStream.Type(running.Last));
        var status = ps.Invoke("patchwire session-status $id; \"exit=$LASTEXITCODE\"", vars).Select(o => o.ToString()).ToList();
        Assert.Contains(status, l => l.StartsWith("status     done", StringComparison.Ordinal));
        Assert.Contains(status, l => l.StartsWith("turns      1", StringComparison.Ordinal));
        Assert.Equal("exit=0", status[^1]);
        var deleted = ps.Invoke("patchwire delete-session $id; \"exit=$LASTEXITCODE\"", vars).Select(o => o.ToString()).ToList();
        Assert.Equal(new[] { $"Deleted chat session {busy}.", "exit=0" }, deleted);
        await bed.StatusAsync("ana", busy, HttpStatusCode.NotFound);
    }
}
