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
        var parsed = FromJson(doc.RootElement);
        parsed.SessionId = session;
        return parsed;
    }

    /// <summary>GET /sessions: the caller's own sessions, oldest first.</summary>
    public static async Task<IReadOnlyList<PatchwireChatSession>> ListAsync(AgentClient client, CancellationToken cancellationToken)
    {
        using var doc = await client.GetJsonAsync(Routes.Sessions, cancellationToken).ConfigureAwait(false);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("sessions", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new AgentClientException($"The agent at {client.Settings.AgentUrl} answered GET /sessions with something this module does not understand; is it older than the module?");
        return list.EnumerateArray().Select(FromJson).ToList();
    }

    private static PatchwireChatSession FromJson(JsonElement root)
    {
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        long Number(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return new PatchwireChatSession
        {
            SessionId = Guid.TryParse(Text("uuid"), out var id) ? id : Guid.Empty,
            Project = Text("project") ?? "",
            Status = Text("status") ?? "",
            TurnCount = (int)Number("turnCount"),
            StartedAt = StartedAt(root),
            TokensIn = Number("tokensIn"),
            TokensOut = Number("tokensOut"),
            Duration = TimeSpan.FromMilliseconds(Number("durationMs")),
            ErrorMessage = Text("errorMessage"),
        };
    }

    /// <summary>startedAt is epoch milliseconds, as upstream writes it; earlier agents of ours wrote an ISO 8601 string.</summary>
    private static DateTimeOffset StartedAt(JsonElement root)
    {
        if (!root.TryGetProperty("startedAt", out var value)) return default;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms) && ms >= 0 && ms <= 253402300799999)
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var when)) return when;
        return default;
    }

    /// <summary>DELETE answers 204 whether or not the session existed (as upstream); only a turn in flight refuses (409).</summary>
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

/// <summary>What both session cmdlets share: session ids from the pipeline too, one agent client per pipeline, one request per id.</summary>
public abstract class ChatSessionCmdlet : PatchwireCmdlet
{
    /// <summary>The ids bound to this record (-Session).</summary>
    protected abstract Guid[] SessionIds { get; }

    private AgentClient? _client;

    protected AgentClient Client => _client!;

    protected override void BeginProcessing() =>
        _client = new AgentClient(UserSettings.Load(this, SessionState.Path.CurrentFileSystemLocation.ProviderPath));

    protected override void ProcessRecord()
    {
        foreach (var session in SessionIds)
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
[Synopsis("Lists your chat sessions, or shows one: the latest turn's status, turn count and the tokens the session used.")]
[Description("Without -Session, lists your own chat sessions on the agent (GET /sessions), oldest first. With -Session (or session ids from the pipeline, e.g. the turns Invoke-PatchwireChat returns) asks about those (GET /session/{uuid}/status); another user's session id is not found. Status is in_flight, done or error (with ErrorMessage) for the latest turn; TokensIn and TokensOut are totals over the session's completed turns. Format-List shows every field.")]
[Example("Get-PatchwireChatSession", "Lists your chat sessions.")]
[Example("Get-PatchwireChatSession -Session $turn.SessionId", "How one session is doing and what it has used so far.")]
[Example("$turn | Get-PatchwireChatSession | Format-List", "The same, with the session id taken from a turn object, every field shown.")]
public sealed class GetPatchwireChatSessionCommand : ChatSessionCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Chat session ids (GUIDs). Default: list all of your sessions.")]
    [Alias("SessionId")]
    [ArgumentCompleter(typeof(Completion.ChatSessionIdCompleter))]
    public Guid[]? Session { get; set; }

    protected override Guid[] SessionIds => Session ?? Array.Empty<Guid>();

    private bool _sawIds;

    protected override void ProcessRecord()
    {
        if (Session is { Length: > 0 }) _sawIds = true;
        base.ProcessRecord();
    }

    protected override void EndProcessing()
    {
        if (!_sawIds && !MyInvocation.ExpectingInput)
        {
            try { WriteObject(Await(token => ChatSessionClient.ListAsync(Client, token)), enumerateCollection: true); }
            catch (AgentClientException ex) { WriteError(Errors.From(ex, null)); }
        }
        base.EndProcessing();
    }

    protected override void Process(AgentClient client, Guid session) =>
        WriteObject(Await(token => ChatSessionClient.GetAsync(client, session, token)));
}

[Cmdlet(VerbsCommon.Remove, "PatchwireChatSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
[Synopsis("Ends a chat session on the agent: the next turn with that id starts a new conversation.")]
[Description("Deletes the agent's record of one of your chat sessions (DELETE /session/{uuid}), including the link to the AI's own session, so it is not resumed again. The audit log keeps its lines. Like upstream's DELETE it succeeds for a session the agent does not have (already deleted, expired, or never started). A session with a turn in flight cannot be deleted until the turn ends. Honours -WhatIf and -Confirm.")]
[Example("Remove-PatchwireChatSession -Session $turn.SessionId", "Ends the conversation of that turn.")]
[Example("Get-PatchwireChatSession | Where-Object TurnCount -eq 0 | Remove-PatchwireChatSession -Confirm:$false", "Ends every session that never completed a turn, without asking.")]
public sealed class RemovePatchwireChatSessionCommand : ChatSessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The chat session ids (GUIDs) to end.")]
    [Alias("SessionId")]
    [ArgumentCompleter(typeof(Completion.ChatSessionIdCompleter))]
    public Guid[] Session { get; set; } = Array.Empty<Guid>();

    protected override Guid[] SessionIds => Session;

    protected override void Process(AgentClient client, Guid session)
    {
        if (ShouldProcess(session.ToString(), "Remove chat session"))
            Await(token => ChatSessionClient.DeleteAsync(client, session, token));
    }
}
