using System.Net.Http;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>The laptop side of /runs, shared by the cmdlets and the CLI verbs.</summary>
public static class DetachedRunApi
{
    /// <summary>How often Wait-PatchwireRun asks the agent; a run takes minutes, so a second is plenty.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Syncs like Invoke-PatchwireAsk (unless <paramref name="sync"/> is false), then POST /runs.</summary>
    public static async Task<PatchwireRun> StartAsync(ClientSettings settings, string prompt, bool sync, Action<RunProgress> report, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("The prompt is empty.");
        using var client = new AgentClient(settings);
        var baseline = sync ? await Sync.ProjectSync.SyncForRunAsync(settings, client, prompt, report, cancellationToken).ConfigureAwait(false) : null;
        var body = new Dictionary<string, string> { ["prompt"] = prompt, ["project"] = settings.Project };
        if (baseline is not null) body["baseline"] = baseline;
        using var request = new HttpRequestMessage(HttpMethod.Post, "runs") { Content = AgentClient.Json(body) };
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var created = JsonSerializer.Deserialize<RunCreated>(await AgentClient.ReadTextAsync(response, cancellationToken).ConfigureAwait(false), ProtocolJson.Options);
        if (created is null || created.Id.Length == 0) throw new AgentClientException($"The agent at {settings.AgentUrl} did not return a run id.");
        return await GetAsync(settings, created.Id, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<PatchwireRun> GetAsync(ClientSettings settings, string id, CancellationToken cancellationToken)
    {
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(60));
        using var doc = await client.GetJsonAsync("runs/" + Uri.EscapeDataString(id), cancellationToken).ConfigureAwait(false);
        return From(settings, Read<RunInfo>(doc, settings));
    }

    public static async Task<PatchwireRun[]> ListAsync(ClientSettings settings, CancellationToken cancellationToken)
    {
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(60));
        using var doc = await client.GetJsonAsync("runs", cancellationToken).ConfigureAwait(false);
        return Read<List<RunInfo>>(doc, settings).Select(r => From(settings, r)).ToArray();
    }

    /// <summary>DELETE /runs/{id}: the agent takes it out of the queue or stops it and restores the checkout.</summary>
    public static async Task<PatchwireRun> StopAsync(ClientSettings settings, string id, CancellationToken cancellationToken)
    {
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Delete, "runs/" + Uri.EscapeDataString(id));
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(await AgentClient.ReadTextAsync(response, cancellationToken).ConfigureAwait(false));
        return From(settings, Read<RunInfo>(doc, settings));
    }

    /// <summary>Polls until the run is final; null when <paramref name="timeout"/> passed first.</summary>
    public static async Task<PatchwireRun?> WaitAsync(ClientSettings settings, string id, TimeSpan? timeout, Action<PatchwireRun> report, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        while (true)
        {
            var run = await GetAsync(settings, id, cancellationToken).ConfigureAwait(false);
            if (run.IsFinished) return run;
            report(run);
            if (DateTime.UtcNow >= deadline) return null;
            var pause = deadline - DateTime.UtcNow < PollInterval ? deadline - DateTime.UtcNow : PollInterval;
            await Task.Delay(pause > TimeSpan.Zero ? pause : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The agent's answer as a run object; a succeeded run carries its ask result, built as Invoke-PatchwireAsk builds it.</summary>
    internal static PatchwireRun From(ClientSettings settings, RunInfo info)
    {
        var run = new PatchwireRun
        {
            Id = info.Id, User = info.User, Project = info.Project, State = info.State, Position = info.Position,
            CreatedAt = info.CreatedAt, StartedAt = info.StartedAt, FinishedAt = info.FinishedAt, Message = info.Message,
            Files = info.Files?.ToArray() ?? Array.Empty<string>(), PromptSha256 = info.PromptSha256, AgentUrl = settings.AgentUrl,
        };
        if (info.Result is not { } final) return run;
        if (ProtocolJson.TypeOf(final) == EventTypes.Error)
        {
            run.ErrorCode = final.TryGetProperty("code", out var code) ? code.GetString() : null;
            return run;
        }
        var result = JsonSerializer.Deserialize<ResultEvent>(final.GetRawText(), ProtocolJson.Options)!;
        run.Result = new PatchwireAskResult
        {
            Project = info.Project,
            // Runs of another project than the folder the settings came from (GET /runs lists them all) carry no folder:
            // Invoke-PatchwirePatch then applies to the folder it is run in, or -ProjectPath.
            ProjectRoot = info.Project == settings.Project ? settings.ProjectRoot : "",
            Baseline = result.Baseline,
            Diff = result.Diff ?? "",
            Files = UnifiedDiff.Files(result.Diff ?? "").ToArray(),
            ExitCode = result.ExitCode,
            Duration = TimeSpan.FromMilliseconds(result.DurationMs),
            QueueWait = info.StartedAt is { } started ? started - info.CreatedAt : TimeSpan.Zero,
            Elapsed = (info.FinishedAt ?? info.CreatedAt) - info.CreatedAt,
            Stdout = result.Stdout ?? "",
            Stderr = result.Stderr ?? "",
        };
        return run;
    }

    private static T Read<T>(JsonDocument doc, ClientSettings settings)
    {
        try
        {
            return doc.RootElement.Deserialize<T>(ProtocolJson.Options)
                   ?? throw new AgentClientException($"The agent at {settings.AgentUrl} sent an empty answer.");
        }
        catch (JsonException ex)
        {
            throw new AgentClientException($"The agent at {settings.AgentUrl} sent a run this module does not understand: {ex.Message}");
        }
    }
}
