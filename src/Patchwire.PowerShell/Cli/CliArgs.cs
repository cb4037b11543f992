namespace Patchwire.PowerShell.Cli;

/// <summary>A verb's arguments in the seed's syntax: positionals, '--name value' or '--name=value' options, and '--flag' switches.</summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Positionals { get; private set; } = Array.Empty<string>();
    public bool Help => _flags.Contains("--help");

    public string? Option(string name) => _options.TryGetValue(name, out var v) ? v : null;
    public bool Flag(string name) => _flags.Contains(name);

    /// <exception cref="CliUsageException">An unknown option, or an option without its value.</exception>
    public static CliArgs Parse(IReadOnlyList<string> args, IEnumerable<string>? valueOptions = null, IEnumerable<string>? flags = null)
    {
        var withValue = new HashSet<string>(valueOptions ?? Array.Empty<string>(), StringComparer.Ordinal);
        var switches = new HashSet<string>(flags ?? Array.Empty<string>(), StringComparer.Ordinal) { "--help" };
        var result = new CliArgs();
        var positionals = new List<string>();
        var onlyPositionals = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (onlyPositionals || !arg.StartsWith("-", StringComparison.Ordinal) || arg == "-")
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--") { onlyPositionals = true; continue; }
            if (arg == "-h") { result._flags.Add("--help"); continue; }
            var name = arg;
            string? inline = null;
            var eq = arg.IndexOf('=');
            if (eq > 0) { name = arg.Substring(0, eq); inline = arg.Substring(eq + 1); }
            if (withValue.Contains(name))
            {
                if (inline is null)
                {
                    if (i + 1 >= args.Count) throw new CliUsageException($"option {name} needs a value");
                    inline = args[++i];
                }
                result._options[name] = inline;
            }
            else if (switches.Contains(name) && inline is null)
            {
                result._flags.Add(name);
            }
            else
            {
                throw new CliUsageException($"unknown option '{name}'");
            }
        }
        result.Positionals = positionals;
        return result;
    }
}

/// <summary>Bad command-line usage: one line pointing at --help, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>A failure the verb words itself; carries the exit code (and, as inner exception, the failure whose error id it keeps).</summary>
public sealed class CliFailure(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
