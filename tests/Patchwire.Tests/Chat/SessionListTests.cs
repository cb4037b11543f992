using System.Net;
using System.Text.Json;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.ChatTurns;

/// <summary>GET /sessions and Get-PatchwireChatSession without arguments: a user sees their own sessions, only.</summary>
[Collection(PowerShellCollection.Name)]
public sealed class SessionListTests
{
    [Fact]
    public async Task Each_user_lists_only_their_own_sessions_oldest_first()
    {
        await using var bed = await ChatTestBed.StartAsync();
        bed.CreateCheckout("ana");
        bed.CreateCheckout("ben");
        using var ana = bed.Client("ana");
        using var ben = bed.Client("ben");
        var first = Guid.NewGuid().ToString();
        var second = Guid.NewGuid().ToString();
        var bens = Guid.NewGuid().ToString();
        await using (var t = await ChatStream.TurnAsync(ana, first, "say: one")) Assert.Equal("chat_done", ChatStream.Type(t.Last));
        await using (var t = await ChatStream.TurnAsync(ana, second, "say: two")) Assert.Equal("chat_done", ChatStream.Type(t.Last));
        await using (var t = await ChatStream.TurnAsync(ben, bens, "say: three")) Assert.Equal("chat_done", ChatStream.Type(t.Last));

        var listed = await ListAsync(ana);
        Assert.Equal(new[] { first, second }, listed.Select(s => s.GetProperty("uuid").GetString()));
        Assert.All(listed, s => Assert.Equal("app", s.GetProperty("project").GetString()));
        Assert.All(listed, s => Assert.Equal(1, s.GetProperty("turnCount").GetInt32()));
        Assert.Equal(new[] { bens }, (await ListAsync(ben)).Select(s => s.GetProperty("uuid").GetString()));

        using (var delete = await ana.DeleteAsync($"/session/{first}")) Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(new[] { second }, (await ListAsync(ana)).Select(s => s.GetProperty("uuid").GetString()));

        using var nobody = bed.Agent.Client();
        using var refused = await nobody.GetAsync("/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The cmdlet without arguments lists them; with none it returns nothing and no error.
        using var laptop = new TempDirectory("pw-laptop");
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = bed.Token("ana") }))
        {
            var sessions = ps.Invoke("Get-PatchwireChatSession");
            Assert.Equal(new[] { Guid.Parse(second) }, sessions.Select(o => (Guid)o.Properties["SessionId"].Value));
            Assert.Equal("done", sessions[0].Properties["Status"].Value);
            var text = string.Join("\n", ps.Invoke("Get-PatchwireChatSession | Out-String -Width 80").Select(o => o.ToString()));
            Assert.Matches(@"SessionId\s+Project\s+Status\s+TurnCount\s+TokensOut", text);
            Assert.Contains(second, text);

            // Tab completes -Session with the ids the agent lists.
            var completions = ps.Invoke("$line = 'Remove-PatchwireChatSession -Session '; (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText");
            Assert.Equal(new[] { second }, completions.Select(o => o.ToString()));
        }
        using (var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = bed.Token("cy") }))
            Assert.Empty(ps.Invoke("Get-PatchwireChatSession"));
    }

    private static async Task<IReadOnlyList<JsonElement>> ListAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/sessions");
        return JsonDocument.Parse(text).RootElement.GetProperty("sessions").EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
