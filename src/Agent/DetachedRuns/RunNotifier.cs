using System.Text;
using System.Text.Json.Nodes;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// PW_NOTIFY_WEBHOOK: one POST per finished detached run with user, project, state, files changed and duration, never
/// the prompt or the diff. Sent in the background with a short timeout and a few retries; it never touches the run.
/// </summary>
public sealed class RunNotifier(DetachedRunOptions options, ILogger<RunNotifier> log) : IDisposable
{
    internal static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    internal const int Attempts = 3;

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = AttemptTimeout }) { Timeout = AttemptTimeout };

    public void Finished(RunRecord run)
    {
        if (options.NotifyWebhook is not { } url) return;
        _ = Task.Run(() => SendAsync(url, Body(run, options.NotifyFormat)));
    }

    internal static JsonObject Body(RunRecord run, string format)
    {
        var info = run.ToInfo(withResult: false);
        var files = info.Files?.Count ?? 0;
        var durationMs = run.FinishedAt is { } end ? (long)(end - (run.StartedAt ?? run.CreatedAt)).TotalMilliseconds : 0;
        var text = $"Patchwire run {run.Id} of {run.User} on {run.Project}: {run.State}, {files} file(s) changed, {durationMs / 1000.0:0.#} s";
        return format switch
        {
            "slack" => new JsonObject { ["text"] = text },
            "teams" => new JsonObject { ["@type"] = "MessageCard", ["@context"] = "https://schema.org/extensions", ["summary"] = "Patchwire run finished", ["text"] = text },
            _ => new JsonObject
            {
                ["id"] = run.Id, ["user"] = run.User, ["project"] = run.Project, ["state"] = run.State,
                ["filesChanged"] = files, ["durationMs"] = durationMs, ["finishedAt"] = run.FinishedAt, ["text"] = text,
            },
        };
    }

    private async Task SendAsync(Uri url, JsonObject body)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await _http.PostAsync(url, content);
                if (response.IsSuccessStatusCode) return;
                log.LogWarning("PW_NOTIFY_WEBHOOK answered {Status} (attempt {Attempt} of {Attempts})", (int)response.StatusCode, attempt, Attempts);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                log.LogWarning("PW_NOTIFY_WEBHOOK failed: {Message} (attempt {Attempt} of {Attempts})", ex.Message, attempt, Attempts);
            }
            if (attempt < Attempts) await Task.Delay(TimeSpan.FromSeconds(attempt));
        }
    }

    public void Dispose() => _http.Dispose();
}
