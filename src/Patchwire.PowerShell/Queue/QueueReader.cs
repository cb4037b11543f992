using System.Text.Json;
using Patchwire.PowerShell.Client;
using Patchwire.Core.Protocol;

namespace Patchwire.PowerShell.Queue;

/// <summary>Reads GET /queue; shared by Get-PatchwireQueue and 'patchwire queue'.</summary>
public static class QueueReader
{
    /// <exception cref="AgentClientException">The agent could not be reached or refused the request.</exception>
    public static async Task<PatchwireQueue> ReadAsync(AgentClient client, CancellationToken cancellationToken = default)
    {
        using var doc = await client.GetJsonAsync("/queue", cancellationToken).ConfigureAwait(false);
        QueueSnapshot? snapshot;
        try { snapshot = doc.RootElement.Deserialize<QueueSnapshot>(ProtocolJson.Options); }
        catch (JsonException ex) { throw new AgentClientException($"The agent at {client.Settings.AgentUrl} sent a queue this module does not understand: {ex.Message}"); }
        if (snapshot is null) throw new AgentClientException($"The agent at {client.Settings.AgentUrl} sent an empty queue answer.");
        return new PatchwireQueue
        {
            AgentUrl = client.Settings.AgentUrl,
            GlobalCap = snapshot.GlobalCap,
            PerUserCap = snapshot.PerUserCap,
            InFlight = snapshot.InFlight.ToArray(),
            Queued = snapshot.Queued.Select(q => new PatchwireQueuedRequest { User = q.User, Position = q.Position }).ToArray(),
        };
    }

    /// <summary>The queue as the CLI prints it.</summary>
    public static IEnumerable<string> Describe(PatchwireQueue queue)
    {
        yield return $"{queue.AgentUrl}: {queue.RunningCount} of {queue.GlobalCap} slots in use ({queue.PerUserCap} per user)";
        yield return queue.InFlight.Length == 0 ? "running: nobody" : "running: " + string.Join(", ", queue.InFlight);
        if (queue.Queued.Length == 0)
        {
            yield return "waiting: nobody";
            yield break;
        }
        yield return "waiting:";
        foreach (var q in queue.Queued) yield return $"  {q.Position,4}  {q.User}";
    }
}
