using System.Management.Automation;
using System.Reflection;

namespace Patchwire.PowerShell.Cli;

/// <summary>Finds the verb named by the first argument and runs it, turning failures into errors and $LASTEXITCODE.</summary>
internal static class CliDispatcher
{
    private static readonly Lazy<List<(CliVerbAttribute Meta, Type Type)>> AllVerbs = new(() =>
        typeof(CliDispatcher).Assembly.GetTypes()
            .Select(t => (Meta: t.GetCustomAttribute<CliVerbAttribute>(), Type: t))
            .Where(x => x.Meta is not null && typeof(ICliVerb).IsAssignableFrom(x.Type))
            .Select(x => (x.Meta!, x.Type))
            .OrderBy(x => x.Item1.Verb, StringComparer.Ordinal)
            .ToList());

    public static IEnumerable<CliVerbAttribute> Verbs(string tool) => AllVerbs.Value.Where(v => v.Meta.Tool == tool).Select(v => v.Meta);

    public static void Run(PSCmdlet cmdlet, string tool, string[]? arguments)
    {
        var args = arguments ?? Array.Empty<string>();
        var context = new CliContext(cmdlet, tool);
        var exitCode = 0;
        try
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                PrintToolHelp(context, tool);
                exitCode = args.Length == 0 ? 2 : 0;
                return;
            }
            if (args[0] is "--version")
            {
                context.Out($"{tool} {typeof(CliDispatcher).Assembly.GetName().Version?.ToString(3)}");
                return;
            }
            var entry = AllVerbs.Value.FirstOrDefault(v => v.Meta.Tool == tool && v.Meta.Verb == args[0]);
            if (entry.Type is null)
            {
                context.Error($"{tool}: unknown command '{args[0]}'. Run '{tool} --help' for the list.", "UnknownVerb", ErrorCategory.InvalidArgument);
                exitCode = 2;
                return;
            }
            var verb = (ICliVerb)Activator.CreateInstance(entry.Type)!;
            try
            {
                exitCode = verb.Run(context, CliArgsFor(verb, args.Skip(1).ToList()));
            }
            catch (CliUsageException ex)
            {
                context.Error($"{tool} {args[0]}: {ex.Message}\n{verb.Usage}", "Usage", ErrorCategory.InvalidArgument);
                exitCode = 2;
            }
        }
        catch (CliFailure ex)
        {
            context.Error($"{tool}: {ex.Message}", "Failed", ErrorCategory.InvalidOperation);
            exitCode = ex.ExitCode;
        }
        catch (PipelineStoppedException)
        {
            exitCode = 130;
            throw;
        }
        finally
        {
            cmdlet.SessionState.PSVariable.Set(new PSVariable("global:LASTEXITCODE", exitCode));
        }
    }

    private static CliArgs CliArgsFor(ICliVerb verb, List<string> args) =>
        verb is ICliVerbOptions options
            ? CliArgs.Parse(args, options.ValueOptions, options.Flags)
            : CliArgs.Parse(args);

    private static void PrintToolHelp(CliContext context, string tool)
    {
        context.Out($"usage: {tool} <command> [options]   ({tool} <command> --help for details)");
        context.Out("");
        foreach (var verb in Verbs(tool))
            context.Out($"  {verb.Verb,-10} {verb.Summary}");
    }
}

/// <summary>Declares which options of a verb take a value and which are switches.</summary>
public interface ICliVerbOptions
{
    IEnumerable<string> ValueOptions { get; }
    IEnumerable<string> Flags { get; }
}
