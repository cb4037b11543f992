using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>
/// Wait-PatchwireRun -Notify: a desktop notification that a run finished, through what the OS offers: BurntToast's
/// New-BurntToastNotification when that module is available (Windows), notify-send (Linux), osascript (macOS);
/// otherwise, or when the command fails, a line on the host. The text names the run, its project, state and files
/// changed; never the prompt (the agent does not keep it) or the diff.
/// </summary>
internal static class DesktopNotifier
{
    public const string BurntToastCommand = "New-BurntToastNotification";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    public static string Title(PatchwireRun run) => $"Patchwire: run {run.State}";

    public static string Body(PatchwireRun run)
    {
        var id = run.Id.Length > 8 ? run.Id.Substring(0, 8) : run.Id;
        var what = run.State switch
        {
            "succeeded" => $"{run.Files.Length} file(s) changed",
            _ => string.IsNullOrEmpty(run.Message) ? run.State : Shorten(run.Message!),
        };
        var duration = run.Duration is { } d ? ", " + d.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s" : "";
        return $"{run.Project}: {what}{duration} (run {id})";
    }

    /// <summary>The OS command for a notification on this platform, or null when it has none Patchwire knows.</summary>
    public static (string File, string[] Args)? CommandFor(OSPlatform platform, string title, string body)
    {
        if (platform == OSPlatform.Linux) return ("notify-send", new[] { "--app-name=Patchwire", title, body });
        if (platform == OSPlatform.OSX) return ("osascript", new[] { "-e", $"display notification {AppleScriptString(body)} with title {AppleScriptString(title)}" });
        return null;
    }

    /// <summary>An AppleScript string literal: backslashes and quotes escaped, line breaks as spaces.</summary>
    public static string AppleScriptString(string text) =>
        "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", " ").Replace("\n", " ") + "\"";

    /// <summary>Shows the notification; returns how ("BurntToast", "notify-send", "osascript" or "host").</summary>
    public static string Notify(PSCmdlet cmdlet, PatchwireRun run)
    {
        var title = Title(run);
        var body = Body(run);
        if (cmdlet.InvokeCommand.GetCommand(BurntToastCommand, CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias) is not null)
        {
            try
            {
                cmdlet.InvokeCommand.InvokeScript($"param($t, $b) {BurntToastCommand} -Text $t, $b", false, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, title, body);
                return "BurntToast";
            }
            catch (RuntimeException ex) { cmdlet.WriteVerbose($"{BurntToastCommand} failed: {ex.Message}"); }
        }
        var platform = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? OSPlatform.Linux
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? OSPlatform.OSX : OSPlatform.Windows;
        if (CommandFor(platform, title, body) is { } command)
        {
            if (TryRun(command.File, command.Args, out var problem)) return command.File;
            cmdlet.WriteVerbose($"{command.File} failed: {problem}");
        }
        cmdlet.WriteInformation(new HostInformationMessage { Message = $"{title} — {body}" }, new[] { "PSHOST" });
        return "host";
    }

    private static bool TryRun(string file, string[] args, out string problem)
    {
        var psi = new ProcessStartInfo(file, string.Join(" ", args.Select(GitCli.Quote)))
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(psi);
            if (process is null) { problem = "it did not start"; return false; }
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit((int)CommandTimeout.TotalMilliseconds))
            {
                GitCli.TryKill(process);
                problem = $"no answer within {CommandTimeout.TotalSeconds} s";
                return false;
            }
            problem = process.ExitCode == 0 ? "" : $"exit code {process.ExitCode}: {stderr.Result.Trim()}";
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            problem = ex.Message; // not installed: the usual case on a server or a minimal desktop
            return false;
        }
    }

    private static string Shorten(string text)
    {
        var line = text.Replace("\r", " ").Replace("\n", " ");
        return line.Length <= 120 ? line : line.Substring(0, 117) + "...";
    }
}
