using System.Text.Encodings.Web;
using System.Text.Json;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Cli;

/// <summary>
/// The '--json' answers of the laptop verbs: one JSON document, the verb's only output (camelCase names, upstream's
/// where upstream has them). In --json mode a verb writes no notes, progress or warnings (they would reach stdout in
/// 'pwsh -c'); a failure is an error on stderr and a non-zero exit code, never JSON.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(CliContext context, object document) => context.Out(JsonSerializer.Serialize(document, Options));

    public static object[] Files(IEnumerable<PatchwireFileChange> files) => files.Select(f => (object)new
    {
        path = f.Path,
        status = ChangeText.StatusLetter(f.Status),
        oldPath = f.OldPath,
        linesAdded = f.LinesAdded,
        linesRemoved = f.LinesRemoved,
        binary = f.Binary,
    }).ToArray();

    public static object? Verify(PatchwireVerifyResult? v) => v is null ? null : new
    {
        passed = v.Passed,
        exitCode = v.ExitCode,
        durationMs = (long)v.Duration.TotalMilliseconds,
        timedOut = v.TimedOut,
        output = v.Output,
    };

    public static object Ask(PatchwireAskResult r) => new
    {
        project = r.Project,
        baseline = r.Baseline,
        exitCode = r.ExitCode,
        durationMs = (long)r.Duration.TotalMilliseconds,
        queueWaitMs = (long)r.QueueWait.TotalMilliseconds,
        files = Files(r.Files),
        linesAdded = r.LinesAdded,
        linesRemoved = r.LinesRemoved,
        diff = r.Diff,
        stdout = r.Stdout,
        stderr = r.Stderr,
        verify = Verify(r.Verify),
        applied = r.Applied?.ToString(),
        savedPatch = r.SavedPatch,
    };

    public static object Sync(SyncResult r) => new
    {
        project = r.Project,
        agentUrl = r.AgentUrl,
        baseline = r.Baseline,
        transferred = r.Transferred,
        full = r.Full,
        bytesSent = r.BytesSent,
        durationMs = (long)r.Duration.TotalMilliseconds,
        submodulesNotSent = r.SubmodulesNotSent.ToArray(),
    };

    public static object Applied(PatchwireApplyResult r, string source) => new
    {
        projectRoot = r.ProjectRoot,
        patch = source,
        method = r.Method.ToString(),
        files = Files(r.Files),
        linesAdded = r.LinesAdded,
        linesRemoved = r.LinesRemoved,
    };
}
