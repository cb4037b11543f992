using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Chat;

[CliVerb(CliVerbAttribute.Laptop, "chat", "a conversation with the AI about this project: prompt, streamed reply, apply its changes; /exit leaves")]
public sealed class ChatCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire chat [\"FIRST PROMPT\"] [--session UUID] [--yes | --save-only] [--no-sync] [--path PROJECT_DIR]\n" +
                           "  Type a prompt, watch the reply stream in, then [a]pply all / [c]hoose files / [s]ave / [r]eject the turn's changes.\n" +
                           "  In the loop: /exit (or /quit, or end of input) leaves, /new starts a new session, /session shows its id.\n" +
                           "  --session    continue an earlier session (its id is printed when you leave)\n" +
                           "  --yes        apply every turn's changes without asking\n" +
                           "  --save-only  save every turn's changes (.patchwire/patches/, and .patchwire/last.patch)\n" +
                           "  --no-sync    run on the checkout the agent already has\n" +
                           "  Without a terminal (pwsh -NonInteractive) give the prompt as an argument: one turn runs, and its\n" +
                           "  changes are saved (applied with --yes).";
    public IEnumerable<string> ValueOptions => new[] { "--session", "--path" };
    public IEnumerable<string> Flags => new[] { "--yes", "-y", "--save-only", "--no-sync" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var yes = args.Flag("--yes") || args.Flag("-y");
        var saveOnly = args.Flag("--save-only");
        if (yes && saveOnly) throw new CliUsageException("--yes and --save-only exclude each other");
        var session = Guid.NewGuid();
        if (args.Option("--session") is { } given && !Guid.TryParse(given, out session))
            throw new CliUsageException($"--session '{given}' is not a session id (a UUID such as {Guid.Empty})");
        var first = string.Join(" ", args.Positionals).Trim();
        var interactive = context.Interactive;
        if (!interactive && first.Length == 0)
            throw new CliUsageException("no terminal to chat in: give the prompt as an argument (one turn runs)");

        var settings = UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));

        var chat = new Conversation(context, settings, !args.Flag("--no-sync"), yes, saveOnly, interactive) { Session = session };
        if (!interactive)
        {
            var done = chat.Turn(first);
            context.Out($"Session {chat.Session}: continue it with 'patchwire chat --session {chat.Session} \"...\"'.");
            return done ? 0 : 1;
        }

        context.Info($"Chat session {chat.Session} on '{settings.Project}' at {settings.AgentUrl}. Type /exit to leave.");
        var ok = first.Length == 0 || chat.Turn(first);
        while (true)
        {
            var line = context.ReadLine("you> ");
            if (line is null) break;
            var prompt = line.Trim();
            if (prompt.Length == 0) continue;
            if (prompt is "/exit" or "/quit") break;
            if (prompt == "/new")
            {
                chat.Session = Guid.NewGuid();
                context.Info($"New session {chat.Session}.");
                continue;
            }
            if (prompt == "/session")
            {
                context.Info($"Session {chat.Session}.");
                continue;
            }
            if (prompt.StartsWith("/", StringComparison.Ordinal) && !prompt.Contains(" "))
            {
                context.Info("Commands: /exit, /new, /session. Anything else is sent to the AI.");
                continue;
            }
            ok = chat.Turn(prompt) && ok;
        }
        context.Out($"Session {chat.Session}: continue it with 'patchwire chat --session {chat.Session}'.");
        return ok ? 0 : 1;
    }

    private sealed class Conversation(CliContext context, ClientSettings settings, bool sync, bool yes, bool saveOnly, bool interactive)
    {
        public Guid Session { get; set; }

        /// <summary>One turn: streamed reply, summary, then the changes applied, saved or rejected. False when the turn failed.</summary>
        public bool Turn(string prompt)
        {
            var endsWithNewline = true;
            var pending = new System.Text.StringBuilder();
            string? lastStage = null;
            PatchwireChatTurn turn;
            try
            {
                turn = context.Run(token => ChatTurnRunner.RunAsync(settings, Session, prompt, sync,
                    p => context.Post(() =>
                    {
                        context.Verbose(p.Message);
                        if (p.Stage == lastStage && p.Stage != RunProgress.Queued) return;
                        lastStage = p.Stage;
                        context.Info(p.Message);
                    }),
                    chunk => context.Post(() =>
                    {
                        if (interactive)
                        {
                            context.Write(chunk);
                            endsWithNewline = chunk.EndsWith("\n", StringComparison.Ordinal);
                        }
                        else
                        {
                            // Scripts capture the reply as output lines, each sent as soon as it is complete.
                            pending.Append(chunk);
                            FlushLines(pending, final: false);
                        }
                    }),
                    token));
            }
            catch (PatchwireException ex)
            {
                FlushLines(pending, final: true);
                if (!endsWithNewline) context.Info("");
                var failure = ChatErrors.Reword(ex, settings, Session, sync);
                if (!interactive) throw failure;
                var message = failure is ChatTurnFailedException { Recoverable: true } ? failure.Message + " You can send the turn again." : failure.Message;
                var record = Errors.From(failure, Session);
                record.ErrorDetails = new System.Management.Automation.ErrorDetails(message);
                context.WriteError(record);
                return false;
            }
            FlushLines(pending, final: true);
            if (!endsWithNewline) context.Info("");

            var changes = turn.HasChanges ? ChangeText.Summary(turn.Files) : "no changes";
            context.Out($"turn {turn.TurnIndex} · {changes} · {turn.TokensIn} tokens in, {turn.TokensOut} out · {ChangeText.Seconds(turn.Duration)}");
            if (!turn.HasChanges) return true;
            foreach (var f in turn.Files) context.Out(ChangeText.FileLine(f));

            if (saveOnly)
            {
                ChangeText.PrintSaved(context, "Saved the changes", ApplyStep.Save(turn));
                return true;
            }
            if (!yes && !interactive)
            {
                ChangeText.PrintSaved(context, "No terminal to ask in (use --yes to apply in scripts); saved the changes", ApplyStep.Save(turn));
                return true;
            }
            try
            {
                if (yes) ChangeText.ApplyChosen(context, turn, null);
                else
                {
                    ChangeText.Preview(context, turn.Patch);
                    ChangeText.Review(context, turn, "Apply these changes? [a]pply all / [c]hoose files / [s]ave / [r]eject: ", null);
                }
                return true;
            }
            catch (PatchApplyException ex)
            {
                if (!interactive) throw;
                context.WriteError(Errors.From(ex, settings.ProjectRoot));
                return false;
            }
        }

        private void FlushLines(System.Text.StringBuilder pending, bool final)
        {
            var text = pending.ToString();
            var end = text.LastIndexOf('\n');
            if (final) end = text.Length;
            if (end < 0) return;
            var complete = text.Substring(0, end);
            pending.Remove(0, Math.Min(pending.Length, end + 1));
            if (complete.Length == 0 && final) return;
            foreach (var line in complete.Split('\n')) context.Out(line.TrimEnd('\r'));
        }
    }
}
