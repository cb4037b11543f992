using Patchwire.Core.Protocol;

namespace Patchwire.PowerShell.Ask;

/// <summary>
/// The agent's verify command (PW_VERIFY_CMD) on the changed checkout: Passed only on exit code 0 within its timeout;
/// ExitCode -1 when it was stopped at the timeout or could not start; Output a bounded tail (the last 64 KiB) of what it printed.
/// </summary>
public sealed class PatchwireVerifyResult
{
    public bool Passed { get; set; }
    public int ExitCode { get; set; }
    public TimeSpan Duration { get; set; }
    public bool TimedOut { get; set; }
    public string Output { get; set; } = "";

    internal static PatchwireVerifyResult? From(VerifyInfo? info) => info is null ? null : new PatchwireVerifyResult
    {
        Passed = info.Passed,
        ExitCode = info.ExitCode,
        Duration = TimeSpan.FromMilliseconds(info.DurationMs),
        TimedOut = info.TimedOut,
        Output = info.Output ?? "",
    };

    /// <summary>"passed (exit 0, 12.3 s)", "FAILED (exit 1, 4.0 s)", "FAILED (stopped at the timeout after 300.0 s)".</summary>
    public override string ToString()
    {
        var seconds = Duration.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s";
        if (Passed) return $"passed (exit 0, {seconds})";
        return TimedOut ? $"FAILED (stopped at the timeout after {seconds})" : $"FAILED (exit {ExitCode}, {seconds})";
    }

    /// <summary>The last <paramref name="lines"/> non-empty lines of the output, to show under a failure.</summary>
    public IEnumerable<string> Tail(int lines)
    {
        var all = Output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        return all.Skip(Math.Max(0, all.Length - lines));
    }
}
