using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Chat;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwireChat", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireChatTurn))]
[Synopsis("Sends one turn of a multi-turn chat with the team's Patchwire agent, streams the reply to the host, and returns the turn as an object.")]
[Description("Syncs the project (unless -NoSync), sends the prompt with POST /chat and writes the AI's reply to the host as it arrives (through the information stream, like Write-Host, so 6>&1 captures it). Returns a PatchwireChatTurn: SessionId, TurnIndex, Text, Files, Patch, TokensIn, TokensOut, Duration, QueueWait. The agent keeps the AI's own session for each session id and resumes it on the next turn, so pass -Session (or pipe the previous turn) to continue a conversation; without -Session a new session id is generated and is on the returned object. Each turn starts from your synced tree and the agent's checkout is restored after it, so apply a turn's patch (-Apply, or Invoke-PatchwirePatch) before the next turn if the next one should build on it. -Apply applies the patch after ShouldProcess (-WhatIf, -Confirm), with a 3-way fallback; a patch that is not applied (declined, -Confirm without a terminal, a conflict) is saved under .patchwire/patches/ (and .patchwire/last.patch) and the turn is still returned. A turn can be piped to Invoke-PatchwirePatch. Prompts piped in are sent as consecutive turns of one session. A failed turn (turn_failed) is a terminating error; the session can usually take another turn.")]
[Example("$t = Invoke-PatchwireChat 'where is the retry logic?'", "Starts a new session; the reply streams to the screen and $t.SessionId identifies the session.")]
[Example("$t = Invoke-PatchwireChat -Session $t.SessionId 'now add tests for it' -Apply", "Continues the same conversation and applies the changes after confirmation.")]
[Example("$t | Invoke-PatchwireChat -Prompt 'rename that helper to with_retries'", "Continues the session of a previous turn taken from the pipeline.")]
[Example("'explain api.py', 'add docstrings to it' | Invoke-PatchwireChat -Apply", "Two turns of one new session; each turn's changes are applied before the next turn syncs.")]
public sealed class InvokePatchwireChatCommand : PatchwireCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, HelpMessage = "What to say to the AI in this turn.")]
    [ValidateNotNullOrEmpty]
    public string Prompt { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "The chat session to continue (a GUID). Leave it out to start a new session.")]
    [Alias("SessionId")]
    [ArgumentCompleter(typeof(Completion.ChatSessionIdCompleter))]
    public Guid Session { get; set; }

    [Parameter(HelpMessage = "The project folder (default: the current folder; patchwire.yml is looked for up to the git top level).")]
    [Alias("ProjectPath")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "Skip the sync: the turn runs on the checkout the agent already has (it must exist and be clean).")]
    public SwitchParameter NoSync { get; set; }

    [Parameter(HelpMessage = "Apply the turn's changes to the working tree (asks under -Confirm; -WhatIf shows what it would do).")]
    public SwitchParameter Apply { get; set; }

    [Parameter(HelpMessage = "With -Apply: apply only the files whose path matches one of these wildcard patterns.")]
    [SupportsWildcards]
    public string[]? Include { get; set; }

    private Guid _pipelineSession;

    protected override void ProcessRecord()
    {
        var session = Session != Guid.Empty ? Session : _pipelineSession != Guid.Empty ? _pipelineSession : (_pipelineSession = Guid.NewGuid());
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        var settings = UserSettings.Load(this, folder);

        const int activity = 0x5058;
        var progress = new ProgressRecord(activity, $"Patchwire chat: {settings.Project}", "Starting…");
        var progressShown = false;
        var endsWithNewline = true;
        PatchwireChatTurn? turn = null;
        Exception? failure = null;
        try
        {
            turn = Bridge.Run(token => ChatTurnRunner.RunAsync(settings, session, Prompt, !NoSync,
                p => Bridge.Post(() =>
                {
                    WriteVerbose(p.Message);
                    progress = new ProgressRecord(activity, progress.Activity, p.Message);
                    WriteProgress(progress);
                    progressShown = true;
                }),
                chunk => Bridge.Post(() =>
                {
                    if (progressShown) { CompleteProgress(progress); progressShown = false; }
                    WriteHostText(chunk, newline: false);
                    endsWithNewline = chunk.EndsWith("\n", StringComparison.Ordinal);
                }),
                token),
                onIdle: () => { if (progressShown) WriteProgress(progress = new ProgressRecord(activity, progress.Activity, progress.StatusDescription)); });
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            failure = ex;
        }
        finally
        {
            if (progressShown) CompleteProgress(progress);
        }
        // The reply may have stopped mid-line; the next output must not run into it.
        if (!endsWithNewline) WriteHostText("", newline: true);

        switch (failure)
        {
            case null: break;
            case ChatTurnFailedException: ThrowTerminatingError(Errors.From(failure, session)); return;
            case PatchwireException: ThrowTerminatingError(Errors.From(ChatErrors.Reword(failure, settings, session, !NoSync), settings.Project)); return;
            default: System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw(); return;
        }

        if (!Apply || !turn!.HasChanges)
        {
            WriteObject(turn);
            return;
        }
        ApplyStep.ApplyAndWrite(this, turn, Include, files => $"Apply turn {turn.TurnIndex}'s changes ({files})");
    }

    /// <summary>What Write-Host does: an information record tagged PSHOST, shown by the host and capturable with 6>&amp;1.</summary>
    private void WriteHostText(string text, bool newline) =>
        WriteInformation(new HostInformationMessage { Message = text, NoNewLine = !newline }, new[] { "PSHOST" });

    private void CompleteProgress(ProgressRecord progress)
    {
        progress.RecordType = ProgressRecordType.Completed;
        try { WriteProgress(progress); } catch (PipelineStoppedException) { }
        progress.RecordType = ProgressRecordType.Processing;
    }
}
