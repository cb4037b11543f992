using System.Globalization;
using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Audit;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Usage;

[CliVerb(CliVerbAttribute.Agent, "usage", "use per user, project or day: [--user U] [--project P] [--since 7d] [--by user|project|day] [--json]")]
public sealed class UsageCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire-agent usage [--user U] [--project P] [--since 24h|7d|DATE] [--by user|project|day] [--json] [--path FILE]";
    public IEnumerable<string> ValueOptions => new[] { "--user", "--project", "--since", "--by", "--path" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help)
        {
            context.Out(Usage);
            return 0;
        }
        var search = AuditLogSearch.FromCli(context, args);
        search.Limit = 0;
        var groupBy = UsageGrouping.User;
        if (args.Option("--by") is { } by && !Enum.TryParse(by, ignoreCase: true, out groupBy))
            throw new CliUsageException($"--by must be user, project or day, got '{by}'");

        var reader = search.OpenForCli();
        List<PatchwireUsage> rows;
        try { rows = UsageReport.Build(reader, search.ToQuery(), groupBy); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure($"cannot read {reader.LogPath}: {ex.Message}");
        }
        if (args.Flag("--json"))
        {
            context.Out(Json(rows, groupBy));
            return 0;
        }
        if (reader.SkippedLines > 0)
            context.Warn($"skipped {reader.SkippedLines} torn or malformed line{(reader.SkippedLines == 1 ? "" : "s")} in {reader.LogPath}");
        if (rows.Count == 0)
        {
            context.Info("No matching audit entries.");
            return 0;
        }
        var label = groupBy.ToString().ToUpperInvariant();
        var width = Math.Max(label.Length, rows.Max(r => r.Name.Length));
        context.Out($"{label.PadRight(width)}  {"REQ",5}  {"ASK",5}  {"CHAT",5}  {"+LINES",7}  {"-LINES",7}  {"TOK",10}  {"$EQV",9}  {"TIME",9}");
        foreach (var r in rows)
            context.Out($"{r.Name.PadRight(width)}  {r.Requests,5}  {r.Asks,5}  {r.Chats,5}  {r.LinesAdded,7}  {r.LinesRemoved,7}  {r.Tokens,10}  {Dollars(r.CostUsd),9}  {Time(r.Duration),9}");
        return 0;
    }

    internal static string Dollars(decimal usd) => "$" + usd.ToString("0.00", CultureInfo.InvariantCulture);

    internal static string Time(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";

    private static string Json(List<PatchwireUsage> rows, UsageGrouping groupBy)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("groupBy", groupBy.ToString().ToLowerInvariant());
            json.WriteStartArray("rows");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("name", r.Name);
                json.WriteNumber("requests", r.Requests);
                json.WriteNumber("asks", r.Asks);
                json.WriteNumber("chats", r.Chats);
                json.WriteNumber("linesAdded", r.LinesAdded);
                json.WriteNumber("linesRemoved", r.LinesRemoved);
                json.WriteNumber("tokensIn", r.TokensIn);
                json.WriteNumber("tokensOut", r.TokensOut);
                json.WriteNumber("tokens", r.Tokens);
                json.WriteNumber("costUsd", r.CostUsd);
                json.WriteNumber("durationMs", (long)r.Duration.TotalMilliseconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
