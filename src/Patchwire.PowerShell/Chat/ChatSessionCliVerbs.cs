using System.Globalization;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Chat;

/// <summary>What 'patchwire session-status' and 'patchwire delete-session' share: one session id, the agent client, errors as one line.</summary>
internal static class ChatSessionCli
{
    public static Guid Session(CliArgs args, string verb)
    {
        if (args.Positionals.Count != 1) throw new CliUsageException($"'{verb}' takes one session id (a UUID such as {Guid.Empty})");
        var text = args.Positionals[0];
        if (!Guid.TryParseExact(text, "D", out var session)) throw new CliUsageException($"'{text}' is not a session id (a UUID such as {Guid.Empty})");
        return session;
    }

    public static T Call<T>(CliContext context, CliArgs args, Guid session, Func<AgentClient, CancellationToken, Task<T>> work)
    {
        var settings = UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(30));
        try { return context.Run(token => work(client, token)); }
        catch (AgentClientException ex) { throw new CliFailure(ChatSessionClient.ErrorFor(ex, session).Exception.Message); }
    }
}

[CliVerb(CliVerbAttribute.Laptop, "session-status", "show one of your chat sessions as the agent keeps it: status, turns, tokens")]
public sealed class SessionStatusCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire session-status UUID [--json] [--path PROJECT_DIR]\n" +
                           "  The agent's record of one of your chat sessions (GET /session/UUID/status, as Get-PatchwireChatSession).\n" +
                           "  --json  the agent's answer as it came, one JSON object on stdout\n" +
                           "  Exit status 1 when the agent has no such session of yours.";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var session = ChatSessionCli.Session(args, "session-status");
        if (args.Flag("--json"))
        {
            context.Out(ChatSessionCli.Call(context, args, session, async (client, token) =>
            {
                using var doc = await client.GetJsonAsync(Routes.SessionStatus(session), token).ConfigureAwait(false);
                return JsonSerializer.Serialize(doc.RootElement);
            }));
            return 0;
        }
        var status = ChatSessionCli.Call(context, args, session, (client, token) => ChatSessionClient.GetAsync(client, session, token));
        context.Out($"session    {status.SessionId}");
        context.Out($"project    {status.Project}");
        context.Out($"status     {status.Status}{(status.ErrorMessage is null ? "" : ": " + status.ErrorMessage)}");
        context.Out($"turns      {status.TurnCount}");
        context.Out($"tokens     {status.TokensIn} in, {status.TokensOut} out");
        context.Out($"last turn  started {status.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}, " +
                    $"{status.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        return 0;
    }
}

[CliVerb(CliVerbAttribute.Laptop, "delete-session", "end one of your chat sessions on the agent (the next turn with that id starts afresh)")]
public sealed class DeleteSessionCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire delete-session UUID [--path PROJECT_DIR]\n" +
                           "  Deletes the agent's record of one of your chat sessions (DELETE /session/UUID, as Remove-PatchwireChatSession);\n" +
                           "  a session the agent does not have is fine, as upstream. A session with a turn in flight is refused (exit 1).";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        var session = ChatSessionCli.Session(args, "delete-session");
        ChatSessionCli.Call(context, args, session, (client, token) => ChatSessionClient.DeleteAsync(client, session, token));
        context.Out($"Deleted chat session {session}.");
        return 0;
    }
}
