using System.Globalization;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Audit;

[CliVerb(CliVerbAttribute.Agent, "log", "read the audit log: [--user U] [--project P] [--since 24h] [--limit N] [--json]")]
public sealed class AuditLogCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire-agent log [--user U] [--project P] [--route ask|chat] [--since 24h|7d|DATE] [--limit N (default 100, 0 = all)] [--json] [--path FILE]";
    public IEnumerable<string> ValueOptions => new[] { "--user", "--project", "--route", "--since", "--limit", "--path" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help)
        {
            context.Out(Usage);
            return 0;
        }
        var search = AuditLogSearch.FromCli(context, args);
        if (args.Option("--route") is { } route)
        {
            search.Route = AuditLogSearch.NormalizeRoute(route);
            if (search.Route is not (AuditEntry.AskRoute or AuditEntry.ChatRoute)) throw new CliUsageException($"--route must be ask or chat, got '{route}'");
        }
        if (args.Option("--limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit) || limit < 0)
                throw new CliUsageException($"--limit must be a whole number, 0 or more (0 = all), got '{limitText}'");
            search.Limit = limit;
        }
        var json = args.Flag("--json");

        var reader = search.OpenForCli();
        var shown = 0;
        try
        {
            var records = reader.Read(search.ToQuery());
            if (json)
            {
                foreach (var record in records) { context.Out(record.Line); shown++; }
            }
            else
            {
                // A bounded read is aligned on its widest values; an unbounded one streams with fixed widths.
                var entries = search.Limit > 0 ? records.Select(r => PatchwireAuditEntry.From(r.Entry)).ToList() : records.Select(r => PatchwireAuditEntry.From(r.Entry));
                var userWidth = entries is List<PatchwireAuditEntry> list && list.Count > 0 ? list.Max(e => e.User.Length) : 12;
                var projectWidth = entries is List<PatchwireAuditEntry> list2 && list2.Count > 0 ? list2.Max(e => e.Project.Length) : 16;
                foreach (var e in entries)
                {
                    context.Out(Line(e, userWidth, projectWidth));
                    shown++;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure($"cannot read {reader.LogPath}: {ex.Message}");
        }
        if (reader.SkippedLines > 0)
            context.Warn($"skipped {reader.SkippedLines} torn or malformed line{(reader.SkippedLines == 1 ? "" : "s")} in {reader.LogPath}");
        if (shown == 0 && !json) context.Info("No matching audit entries.");
        return 0;
    }

    internal static string Line(PatchwireAuditEntry e, int userWidth, int projectWidth) =>
        string.Join("  ",
            AuditText.Timestamp(e.Timestamp),
            e.User.PadRight(userWidth),
            e.Project.PadRight(projectWidth),
            e.Route.PadRight(5),
            AuditText.Duration(e.Duration).PadLeft(7),
            ("wait " + AuditText.Duration(e.QueueWait)).PadRight(11),
            AuditText.Outcome(e)).TrimEnd();
}
