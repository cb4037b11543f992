using Patchwire.Core.Identity;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Users;

/// <summary>
/// <c>patchwire-agent user policy show NAME | projects NAME PATTERN… | projects NAME --clear | rate NAME MAX WINDOW |
/// rate NAME --clear</c>, the verbs of upstream's shim.
/// </summary>
internal static class PolicyCliVerb
{
    public const string Usage = "usage: patchwire-agent user policy show NAME | projects NAME PATTERN... | projects NAME --clear | rate NAME MAX WINDOW (e.g. 50 1h) | rate NAME --clear | budget NAME [--tokens N] [--cost USD] --per WINDOW (e.g. 30d) | budget NAME --clear";

    public static int Run(CliContext context, CliArgs args, UserRegistry registry)
    {
        var words = args.Positionals.Skip(1).ToList(); // after "policy"
        if (words.Count < 2) throw new CliUsageException(words.Count == 0 ? "'user policy' needs show, projects or rate, and a NAME" : $"'user policy {words[0]}' needs a NAME");
        var (action, name, rest) = (words[0], words[1], words.Skip(2).ToList());
        var clear = args.Flag("--clear");
        UserRecord user;
        switch (action)
        {
            case "show":
                if (rest.Count > 0 || clear) throw new CliUsageException("'user policy show' takes only a NAME");
                user = registry.Find(name) ?? throw new RegistryException(RegistryErrorKind.NotFound, $"No user named '{name}'. 'patchwire-agent user list' lists the users.");
                break;
            case "projects":
                if (clear == (rest.Count > 0)) throw new CliUsageException("'user policy projects' takes NAME and either patterns or --clear");
                if (rest.Select(ProjectPattern.Check).FirstOrDefault(p => p is not null) is { } problem) throw new CliFailure(problem);
                user = registry.SetPolicy(name, p => { p.Projects = clear ? null : rest.Distinct(StringComparer.Ordinal).ToList(); return p; });
                break;
            case "rate":
                if (clear ? rest.Count != 0 : rest.Count != 2) throw new CliUsageException("'user policy rate' takes NAME MAX WINDOW (e.g. ana 50 1h) or NAME --clear");
                RateLimitPolicy? limit = null;
                if (!clear)
                {
                    if (!int.TryParse(rest[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var max))
                        throw new CliFailure($"MAX '{rest[0]}' is not a whole number.");
                    var window = PolicyDuration.TryParseSeconds(rest[1], out var windowProblem) ?? throw new CliFailure("WINDOW: " + windowProblem);
                    limit = new RateLimitPolicy { Max = max, WindowSec = window };
                }
                user = registry.SetPolicy(name, p => { p.RateLimit = limit; return p; });
                break;
            case "budget":
                user = SetBudget(args, registry, name, rest, clear);
                break;
            default:
                throw new CliUsageException($"unknown policy action '{action}'");
        }
        var shown = PatchwireUserPolicy.From(user);
        context.Out($"{user.Name}: projects {shown.ProjectsText}; rate limit {shown.RateLimitText}; budget {shown.BudgetText}");
        return 0;
    }

    private static UserRecord SetBudget(CliArgs args, UserRegistry registry, string name, List<string> rest, bool clear)
    {
        var (tokensText, costText, perText) = (args.Option("--tokens"), args.Option("--cost"), args.Option("--per"));
        if (rest.Count > 0) throw new CliUsageException("'user policy budget' takes NAME and --tokens/--cost/--per or --clear");
        if (clear == (tokensText is not null || costText is not null || perText is not null))
            throw new CliUsageException("'user policy budget' takes NAME and either --tokens N and/or --cost USD with --per WINDOW, or --clear");
        if (clear) return registry.SetPolicy(name, p => { p.Budget = null; return p; });
        long? tokens = null;
        decimal? cost = null;
        if (tokensText is not null)
            tokens = long.TryParse(tokensText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var t)
                ? t : throw new CliFailure($"--tokens '{tokensText}' is not a whole number.");
        if (costText is not null)
            cost = decimal.TryParse(costText.TrimStart('$'), System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var c)
                ? c : throw new CliFailure($"--cost '{costText}' is not a number of USD.");
        long? window = null;
        if (perText is not null)
            window = PolicyDuration.TryParseSeconds(perText, out var windowProblem) ?? throw new CliFailure("--per: " + windowProblem);
        return registry.SetPolicy(name, p =>
        {
            var w = window ?? p.Budget?.WindowSec ?? throw new RegistryException(RegistryErrorKind.InvalidPolicy, $"User '{name}' has no budget yet: give --per WINDOW (e.g. --per 30d).");
            p.Budget = new BudgetPolicy { Tokens = tokens ?? p.Budget?.Tokens, CostUsd = cost ?? p.Budget?.CostUsd, WindowSec = w };
            return p;
        });
    }
}
