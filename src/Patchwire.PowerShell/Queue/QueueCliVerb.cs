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
        var settings = QueueSettings.Load(context.Cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        using var client = new AgentClient(settings, TimeSpan.FromSeconds(30));
        try
        {
            if (args.Flag("--json"))
            {
                using var doc = client.GetJsonAsync("/queue").GetAwaiter().GetResult();
                context.Out(JsonSerializer.Serialize(doc.RootElement));
                return 0;
            }
            foreach (var line in QueueReader.Describe(QueueReader.ReadAsync(client).GetAwaiter().GetResult())) context.Out(line);
            return 0;
        }
        catch (AgentClientException ex)
        {
            throw new CliFailure(ex.Message);
        }
    }
}
