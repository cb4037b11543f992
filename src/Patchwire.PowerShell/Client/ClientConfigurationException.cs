using System.Management.Automation;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Client;

/// <summary>The laptop's configuration (patchwire.yml, $PW_HOME/env) cannot be used; the message says where and why.</summary>
public sealed class ClientConfigurationException(string message, string? file = null, int? line = null, Exception? inner = null)
    : PatchwireException(message, ErrorIds.ConfigurationInvalid, ErrorCategory.InvalidData, null, inner)
{
    public string? File { get; } = file;
    /// <summary>1-based line in <see cref="File"/>, when known.</summary>
    public int? Line { get; } = line;
}
