using System.Management.Automation;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Audit;

/// <summary>
/// What Get-PatchwireAuditLog and Get-PatchwireUsage share: the -User, -Project, -Since and -Path filters of the audit
/// log, and opening and reading it with the same errors (AuditLogNotFound, AuditLogUnreadable, skipped lines).
/// </summary>
public abstract class AuditLogCmdlet : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "User names or wildcard patterns (ignoring case); any may match.")]
    [Alias("Name", "UserName")]
    [SupportsWildcards]
    public string[]? User { get; set; }

    [Parameter(HelpMessage = "Project names or wildcard patterns (ignoring case); any may match.")]
    [SupportsWildcards]
    public string[]? Project { get; set; }

    [Parameter(HelpMessage = "Only entries since then: a duration back from now (30m, 24h, 7d, 2w, 1h30m), a TimeSpan, or a DateTime.")]
    public object? Since { get; set; }

    [Parameter(HelpMessage = "Another audit log to read (its rotated files beside it are read too). Defaults to PW_AUDIT_LOG or $PW_HOME/agent.log.")]
    [Alias("LogPath")]
    public string? Path { get; set; }

    /// <summary>-Since as a point in time; null when not given.</summary>
    private protected DateTimeOffset? SinceTime { get; private set; }

    /// <summary>-Path resolved against the current location; null for the default log.</summary>
    private protected string? LogPath { get; private set; }

    protected override void BeginProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Since)))
        {
            var value = Since is PSObject wrapped ? wrapped.BaseObject : Since;
            // In argument mode PowerShell reads 7d as the decimal 7 and 90s as the short 90; the wrapper keeps the typed text.
            if (Since is PSObject literal && IsNumber(value)) value = literal.ToString();
            SinceTime = AuditSince.TryParse(value, DateTimeOffset.UtcNow, out var error);
            if (SinceTime is null)
                ThrowTerminatingError(Errors.Make(error + " Examples: -Since 30m, -Since 24h, -Since 7d, -Since (Get-Date).AddDays(-1).",
                    "InvalidSince", ErrorCategory.InvalidArgument, Since));
        }
        if (!string.IsNullOrEmpty(Path))
            LogPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
    }

    private static bool IsNumber(object? value) =>
        value is byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal;

    /// <summary>Runs <paramref name="read"/> over the log <paramref name="search"/> names; a missing or unreadable log is one error, skipped lines one warning.</summary>
    private protected void ReadLog(AuditLogSearch search, Action<AuditReader> read)
    {
        var reader = new AuditReader(search.LogPath);
        if (!reader.Exists)
        {
            WriteError(Errors.Make(
                $"No audit log at '{reader.LogPath}'. The agent creates it on the first successful /ask or /chat; PW_AUDIT_LOG or -Path may point elsewhere.",
                "AuditLogNotFound", ErrorCategory.ObjectNotFound, reader.LogPath));
            return;
        }
        try
        {
            read(reader);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(Errors.Make($"Could not read the audit log '{reader.LogPath}': {ex.Message}", "AuditLogUnreadable",
                ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError, reader.LogPath, ex));
            return;
        }
        if (reader.SkippedLines > 0)
            WriteWarning($"Skipped {reader.SkippedLines} torn or malformed line{(reader.SkippedLines == 1 ? "" : "s")} in the audit log '{reader.LogPath}'.");
    }
}
