using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Chat;

/// <summary>A chat session as the agent keeps it (GET /session/{uuid}/status): how its latest turn went and its token totals.</summary>
public sealed class PatchwireChatSession
{
    public Guid SessionId { get; set; }
    public string Project { get; set; } = "";
    /// <summary>in_flight, done or error: the state of the latest turn.</summary>
    public string Status { get; set; } = "";
    public int TurnCount { get; set; }
    /// <summary>When the latest turn started.</summary>
    public DateTimeOffset StartedAt { get; set; }
    /// <summary>Tokens over all completed turns.</summary>
    public long TokensIn { get; set; }
    public long TokensOut { get; set; }
    /// <summary>The latest turn's duration (so far, while in flight).</summary>
    public TimeSpan Duration { get; set; }
    public string? ErrorMessage { get; set; }
}

/// <summary>GET and DELETE on /session/{uuid}, for both cmdlets.</summary>
internal static class ChatSessionClient
{
    public static async Task<PatchwireChatSession> GetAsync(AgentClient client, Guid session, CancellationToken cancellationToken)
    {
        using var doc = await client.GetJsonAsync(Routes.SessionStatus(session), cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        long Number(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return new PatchwireChatSession
        {
            SessionId = session,
            Project = Text("project") ?? "",
            Status = Text("status") ?? "",
            TurnCount = (int)Number("turnCount"),
            StartedAt = root.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String ? s.GetDateTimeOffset() : default,
            TokensIn = Number("tokensIn"),
            TokensOut = Number("tokensOut"),
            Duration = TimeSpan.FromMilliseconds(Number("durationMs")),
            ErrorMessage = Text("errorMessage"),
        };
    }

    public static async Task<bool> DeleteAsync(AgentClient client, Guid session, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Routes.Session(session)), cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static ErrorRecord ErrorFor(AgentClientException ex, Guid session) => ex.Status switch
    {
        HttpStatusCode.NotFound => new ErrorRecord(new ItemNotFoundException($"The agent has no chat session {session} of yours (it was deleted, or never had a turn)."), ErrorIds.ChatSessionNotFound, ErrorCategory.ObjectNotFound, session),
        HttpStatusCode.Conflict => new ErrorRecord(new InvalidOperationException($"Chat session {session} has a turn queued or running; delete it once the turn ends."), ErrorIds.ChatTurnInFlight, ErrorCategory.ResourceBusy, session),
        _ => Errors.From(ex, session),
    };
}

/// <summary>What both session cmdlets share: -Session (ids from the pipeline too), one agent client per pipeline, one request per id.</summary>
public abstract class ChatSessionCmdlet : PatchwireCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The chat session id (a GUID).")]
    [Alias("SessionId")]
    public Guid[] Session { get; set; } = Array.Empty<Guid>();

    private AgentClient? _client;

    protected override void BeginProcessing() =>
        _client = new AgentClient(UserSettings.Load(this, SessionState.Path.CurrentFileSystemLocation.ProviderPath));

    protected override void ProcessRecord()
    {
        foreach (var session in Session)
        {
            try { Process(_client!, session); }
            catch (AgentClientException ex) { WriteError(ChatSessionClient.ErrorFor(ex, session)); }
        }
    }

    /// <summary>The cmdlet's request for one session id.</summary>
    protected abstract void Process(AgentClient client, Guid session);

    protected override void EndProcessing() => _client?.Dispose();
}

[Cmdlet(VerbsCommon.Get, "PatchwireChatSession")]
[OutputType(typeof(PatchwireChatSession))]
[Synopsis("Shows a chat session as the agent keeps it: the latest turn's status, turn count and the tokens the session used.")]
[Description("Asks the agent (GET /session/{uuid}/status) about your own chat sessions; another user's session id is not found. Status is in_flight, done or error (with ErrorMessage) for the latest turn; TokensIn and TokensOut are totals over the session's completed turns. Takes session ids from the pipeline, e.g. the turns Invoke-PatchwireChat returns.")]
[Example("Get-PatchwireChatSession -Session $turn.SessionId", "How the session is doing and what it has used so far.")]
[Example("$turn | Get-PatchwireChatSession", "The same, with the session id taken from a turn object.")]
public sealed class GetPatchwireChatSessionCommand : ChatSessionCmdlet
{
    protected override void Process(AgentClient client, Guid session) =>
        WriteObject(Await(token => ChatSessionClient.GetAsync(client, session, token)));
}

[Cmdlet(VerbsCommon.Remove, "PatchwireChatSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
[Synopsis("Ends a chat session on the agent: the next turn with that id starts a new conversation.")]
[Description("Deletes the agent's record of one of your chat sessions (DELETE /session/{uuid}), including the link to the AI's own session, so it is not resumed again. The audit log keeps its lines. A session with a turn in flight cannot be deleted until the turn ends. Honours -WhatIf and -Confirm.")]
[Example("Remove-PatchwireChatSession -Session $turn.SessionId", "Ends the conversation of that turn.")]
[Example("$turns | Remove-PatchwireChatSession -Confirm:$false", "Ends several sessions without asking.")]
public sealed class RemovePatchwireChatSessionCommand : ChatSessionCmdlet
{
    protected override void Process(AgentClient client, Guid session)
    {
        if (ShouldProcess(session.ToString(), "Remove chat session"))
            Await(token => ChatSessionClient.DeleteAsync(client, session, token));
    }
}
