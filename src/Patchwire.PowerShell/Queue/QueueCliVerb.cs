using System.Text.Json;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Queue;

[CliVerb(CliVerbAttribute.Laptop, "queue", "show who is running and who waits on the agent")]
public sealed class QueueCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire queue [--json]\n  Shows the agent's caps, the running requests and the waiting ones in order (--json: the raw GET /queue answer).";
    public IEnumerable<string> ValueOptions => Array.Empty<string>();
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help)
        {
            context.Out(Usage);
            return 0;
        }
        if (args.Positionals.Count > 0) throw new CliUsageException($"'queue' takes no arguments (got '{args.Positionals[0]}')");
        var settings = QueueSettings.Load(context.ResolvePath("."));
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(30));
        context.Verbose($"GET {settings.AgentUrl}/queue");
        if (args.Flag("--json"))
        {
            context.Out(context.Run(async token =>
            {
                using var doc = await client.GetJsonAsync(Core.Protocol.Routes.Queue, token).ConfigureAwait(false);
                return JsonSerializer.Serialize(doc.RootElement);
            }));
            return 0;
        }
        foreach (var line in QueueReader.Describe(context.Run(token => QueueReader.ReadAsync(client, token)))) context.Out(line);
        return 0;
    }
}
