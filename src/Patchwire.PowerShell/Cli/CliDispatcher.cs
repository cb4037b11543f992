using System.Management.Automation;
using System.Reflection;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Cli;

/// <summary>Finds the verb named by the first argument and runs it, turning failures into errors and exit codes.</summary>
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

    /// <summary>
    /// Runs the verb. Any failure becomes one concise error through the module's error map (so $? is False), sets
    /// $LASTEXITCODE, and in a pwsh that runs a script and exits, the process exit code (<see cref="ScriptHost"/>).
    /// </summary>
    public static void Run(PatchwireCmdlet cmdlet, string tool, string[]? arguments, IReadOnlyList<string>? input = null)
    {
        var args = arguments ?? Array.Empty<string>();
        var context = new CliContext(cmdlet, tool) { PipelineInput = input ?? Array.Empty<string>() };
        var exitCode = 0;
        var command = tool;
        try
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                PrintToolHelp(context, tool);
                if (args.Length == 0) throw new CliUsageException("a command is missing");
                return;
            }
            if (args[0] is "--version")
            {
                context.Out($"{tool} {typeof(CliDispatcher).Assembly.GetName().Version?.ToString(3)}");
                return;
            }
            var entry = AllVerbs.Value.FirstOrDefault(v => v.Meta.Tool == tool && v.Meta.Verb == args[0]);
            if (entry.Type is null) throw new CliUsageException($"unknown command '{args[0]}'");
            command = tool + " " + args[0];
            var verb = (ICliVerb)Activator.CreateInstance(entry.Type)!;
            exitCode = verb.Run(context, CliArgsFor(verb, args.Skip(1).ToList()));
            if (exitCode != 0 && !context.ErrorWritten)
                throw new CliFailure($"failed (exit code {exitCode})", exitCode);
        }
        catch (CliUsageException ex)
        {
            exitCode = 2;
            Fail(context, new ErrorRecord(ex, ErrorIds.CliUsage, ErrorCategory.InvalidArgument, null),
                $"{command}: {ex.Message}. Run '{command} --help' for usage.");
        }
        catch (CliFailure ex)
        {
            exitCode = ex.ExitCode;
            var record = ex.InnerException is { } inner ? Errors.From(inner, null) : new ErrorRecord(ex, ErrorIds.CliFailed, ErrorCategory.InvalidOperation, null);
            Fail(context, record, $"{command}: {ex.Message}");
        }
        catch (Exception ex) when (ex is PatchwireException or RegistryException or IOException or UnauthorizedAccessException)
        {
            exitCode = 1;
            Fail(context, Errors.From(ex, null), $"{command}: {ex.Message}");
        }
        catch (PipelineStoppedException)
        {
            exitCode = 130;
            throw;
        }
        finally
        {
            cmdlet.SessionState.PSVariable.Set(new PSVariable("global:LASTEXITCODE", exitCode));
            ScriptHost.ReportFailure(cmdlet, exitCode);
        }
    }

    /// <summary>One error whose message is the verb's concise line (the record keeps the failure's id and category).</summary>
    private static void Fail(CliContext context, ErrorRecord record, string message)
    {
        var action = record.ErrorDetails?.RecommendedAction;
        record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = action };
        context.WriteError(record);
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
