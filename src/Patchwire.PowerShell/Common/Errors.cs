using System.Management.Automation;
using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Common;

/// <summary>
/// Every error id the module writes (FullyQualifiedErrorId before the comma). One failure has one id whatever the
/// cmdlet or verb: a 401 is <see cref="TokenRejected"/> for ask, chat, sync, queue and the CLI alike.
/// </summary>
public static class ErrorIds
{
    // The agent, over HTTP.
    public const string TokenRejected = "Patchwire.Agent.TokenRejected";
    public const string UserDisabled = "Patchwire.Agent.UserDisabled";
    /// <summary>A 403 other than a disabled user: the user's policy (project_not_allowed, rate_limited, budget_exceeded).</summary>
    public const string PolicyRefused = "Patchwire.Agent.PolicyRefused";
    public const string AgentUnreachable = "Patchwire.Agent.AgentUnreachable";
    public const string NotFound = "Patchwire.Agent.NotFound";
    public const string Conflict = "Patchwire.Agent.Conflict";
    public const string UnknownBaseline = "Patchwire.Agent.UnknownBaseline";
    public const string CheckoutDirty = "Patchwire.Agent.CheckoutDirty";
    public const string PreconditionFailed = "Patchwire.Agent.PreconditionFailed";
    public const string BadRequest = "Patchwire.Agent.BadRequest";
    public const string TooLarge = "Patchwire.Agent.TooLarge";
    public const string PromptTooLarge = "Patchwire.Agent.PromptTooLarge";
    public const string AgentError = "Patchwire.Agent.AgentError";
    // The laptop's configuration.
    public const string ConfigurationInvalid = "Patchwire.Configuration.Invalid";
    public const string NoToken = "Patchwire.Configuration.NoToken";
    // Local work.
    public const string SyncFailed = "Patchwire.Sync.SyncFailed";
    public const string GitFailed = "Patchwire.Sync.GitFailed";
    public const string GitMissing = "Patchwire.GitMissing";
    public const string ApplyConflict = "Patchwire.Apply.Conflict";
    public const string ApplyDoesNotApply = "Patchwire.Apply.DoesNotApply";
    public const string NoProject = "Patchwire.Apply.NoProject";
    public const string NoPatch = "Patchwire.Apply.NoPatch";
    public const string NotADiff = "Patchwire.Apply.NotADiff";
    public const string ConfirmUnavailable = "Patchwire.Apply.ConfirmUnavailable";
    /// <summary>Followed by the agent's error code: Patchwire.Ask.run_failed, .diff_failed, .internal, .connection_lost, .bad_stream.</summary>
    public const string AskPrefix = "Patchwire.Ask.";
    /// <summary>Followed by the agent's error code: Patchwire.Chat.turn_failed, .connection_lost, .bad_stream.</summary>
    public const string ChatPrefix = "Patchwire.Chat.";
    public const string ChatSessionNotFound = "Patchwire.Chat.SessionNotFound";
    public const string ChatTurnInFlight = "Patchwire.Chat.TurnInFlight";
    public const string AiFailed = "Patchwire.Ask.AiExitCode";
    public const string CliUsage = "Patchwire.Cli.Usage";
    public const string CliFailed = "Patchwire.Cli.Failed";
    public const string Canceled = "Patchwire.Canceled";
    public const string LocalIO = "Patchwire.LocalIO";
    public const string Unexpected = "Patchwire.Unexpected";
    /// <summary>Followed by the registry's error kind (InvalidName, NotFound, …).</summary>
    public const string RegistryPrefix = "Patchwire.Registry.";
}

/// <summary>A failure the module explains: its message, and the stable id, category and recommended action of its ErrorRecord.</summary>
public class PatchwireException(string message, string errorId, ErrorCategory category, string? recommendedAction = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string ErrorId { get; } = errorId;
    public ErrorCategory Category { get; } = category;
    /// <summary>What to do next, shown as the ErrorRecord's RecommendedAction.</summary>
    public string? RecommendedAction { get; } = recommendedAction;
}

/// <summary>The one place any agent or local failure becomes an ErrorRecord; cmdlets write it, CLI verbs print its message.</summary>
internal static class Errors
{
    public static ErrorRecord From(Exception exception, object? target)
    {
        var record = exception switch
        {
            PatchwireException p => new ErrorRecord(p, p.ErrorId, p.Category, target),
            RegistryException r => From(r, target),
            OperationCanceledException => new ErrorRecord(exception, ErrorIds.Canceled, ErrorCategory.OperationStopped, target),
            UnauthorizedAccessException => new ErrorRecord(exception, ErrorIds.LocalIO, ErrorCategory.PermissionDenied, target),
            IOException => new ErrorRecord(exception, ErrorIds.LocalIO, ErrorCategory.WriteError, target),
            _ => new ErrorRecord(exception, ErrorIds.Unexpected, ErrorCategory.NotSpecified, target),
        };
        if (exception is PatchwireException { RecommendedAction: { } action })
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action };
        return record;
    }

    public static ErrorRecord From(RegistryException ex, object? target)
    {
        var category = ex.Kind switch
        {
            RegistryErrorKind.InvalidName => ErrorCategory.InvalidArgument,
            RegistryErrorKind.InvalidToken => ErrorCategory.InvalidArgument,
            RegistryErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
            RegistryErrorKind.NotFound => ErrorCategory.ObjectNotFound,
            RegistryErrorKind.CorruptFile => ErrorCategory.InvalidData,
            RegistryErrorKind.LockTimeout => ErrorCategory.ResourceBusy,
            RegistryErrorKind.InvalidPolicy => ErrorCategory.InvalidArgument,
            _ => ErrorCategory.NotSpecified,
        };
        return new ErrorRecord(ex, ErrorIds.RegistryPrefix + ex.Kind, category, target);
    }

    public static ErrorRecord Make(string message, string id, ErrorCategory category, object? target = null, Exception? inner = null) =>
        new(new InvalidOperationException(message, inner), "Patchwire." + id, category, target);
}
