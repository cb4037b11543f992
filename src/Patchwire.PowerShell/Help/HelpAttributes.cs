namespace Patchwire.PowerShell.Help;

// The build turns these into the module's MAML help file (Patchwire.PowerShell.dll-Help.xml),
// so every cmdlet's help lives beside its code and Get-Help -Examples always has something to show.

[AttributeUsage(AttributeTargets.Class)]
public sealed class SynopsisAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class DescriptionAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class ExampleAttribute(string code, string remarks) : Attribute
{
    public string Code { get; } = code;
    public string Remarks { get; } = remarks;
}
