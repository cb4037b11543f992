using System.Globalization;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Users;

[CliVerb(CliVerbAttribute.Agent, "user", "manage users: add | list | disable | enable | rotate | rm NAME | policy show|projects|rate NAME")]
public sealed class UserCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire-agent user add NAME [--token TOKEN] | list | disable NAME | enable NAME | rotate NAME [--token TOKEN] | rm NAME | policy show NAME | policy projects NAME PATTERN...|--clear | policy rate NAME MAX WINDOW|--clear";
    public IEnumerable<string> ValueOptions => new[] { "--token", "--tokens", "--cost", "--per" };
    public IEnumerable<string> Flags => new[] { "--clear" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help || args.Positionals.Count == 0)
        {
            context.Out(Usage);
            return args.Help ? 0 : 2;
        }
        var action = args.Positionals[0];
        var registry = ModuleEnvironment.Registry();
        string Name()
        {
            if (args.Positionals.Count != 2) throw new CliUsageException($"'user {action}' takes exactly one NAME");
            return args.Positionals[1];
        }
        try
        {
            switch (action)
            {
                case "add":
                    var added = registry.Add(Name(), args.Option("--token"));
                    context.Out($"Token (save this, it will not be shown again): {added.Token}");
                    return 0;
                case "list":
                case "ls":
                    if (args.Positionals.Count != 1) throw new CliUsageException("'user list' takes no NAME");
                    PrintList(context, registry.Load());
                    return 0;
                case "disable":
                    registry.SetDisabled(Name(), true);
                    context.Out($"Disabled {args.Positionals[1]}: every request with their token now gets 403.");
                    return 0;
                case "enable":
                    registry.SetDisabled(Name(), false);
                    context.Out($"Enabled {args.Positionals[1]}.");
                    return 0;
                case "rotate":
                    var rotated = registry.Rotate(Name(), args.Option("--token"));
                    context.Out($"Token (save this, it will not be shown again): {rotated.Token}");
                    return 0;
                case "rm":
                case "remove":
                    registry.Remove(Name());
                    context.Out($"Removed {args.Positionals[1]}.");
                    return 0;
                case "policy":
                    return PolicyCliVerb.Run(context, args, registry);
                default:
                    throw new CliUsageException($"unknown action '{action}'");
            }
        }
        catch (RegistryException ex)
        {
            throw new CliFailure(ex.Message);
        }
    }

    private static void PrintList(CliContext context, IReadOnlyList<UserRecord> users)
    {
        if (users.Count == 0)
        {
            context.Out("No users yet. Add one with: patchwire-agent user add NAME");
            return;
        }
        var width = Math.Max(4, users.Max(u => u.Name.Length));
        context.Out($"{"NAME".PadRight(width)}  {"STATUS",-8}  {"CREATED",-20}  LAST SEEN");
        foreach (var u in users)
        {
            var seen = u.LastSeen is { } at ? Format(at) : "never";
            context.Out($"{u.Name.PadRight(width)}  {(u.Disabled ? "disabled" : "active"),-8}  {Format(u.CreatedAt),-20}  {seen}");
        }
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
