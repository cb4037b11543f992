namespace Patchwire.PowerShell.Cli;

/// <summary>Marks a class as one verb of the 'patchwire' or 'patchwire-agent' command line.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CliVerbAttribute(string tool, string verb, string summary) : Attribute
{
    public const string Laptop = "patchwire";
    public const string Agent = "patchwire-agent";

    public string Tool { get; } = tool;
    public string Verb { get; } = verb;
    public string Summary { get; } = summary;
}

/// <summary>One verb. Implementations are found by reflection, so adding a verb is adding a file.</summary>
public interface ICliVerb
{
    string Usage { get; }
    int Run(CliContext context, CliArgs args);
}
