using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.DetachedRuns;

/// <summary>The /runs routes as a test uses them: start, poll until final, read events.</summary>
public static class DetachedRunClient
{
    public static async Task<string> StartAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/runs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /runs answered {(int)response.StatusCode}: {text}");
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        return id;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> RunAsync(HttpClient client, string id) => (await GetAsync(client, "/runs/" + id)).Body;

    /// <summary>Polls GET /runs/{id} until <paramref name="done"/> (by default: a final state).</summary>
    public static Task<JsonElement> WaitAsync(HttpClient client, string id, Func<JsonElement, bool>? done = null, int seconds = 60) =>
        ProcessProbe.PollAsync(() => RunAsync(client, id), done ?? (r => r.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled"), TimeSpan.FromSeconds(seconds));

    /// <summary>GET /runs/{id}/events to its end: the events, or the error status and body.</summary>
    public static async Task<(HttpStatusCode Status, List<JsonElement> Events, string Text)> EventsAsync(HttpClient client, string id, string query = "")
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.GetAsync($"/runs/{id}/events{query}", cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var events = response.IsSuccessStatusCode
            ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
            : new List<JsonElement>();
        return (response.StatusCode, events, text);
    }

    public static string State(JsonElement run) => run.GetProperty("state").GetString()!;
}
