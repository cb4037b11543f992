using System.Management.Automation;

namespace Patchwire.PowerShell.Cli;

/// <summary>
/// A binary cmdlet cannot set the exit code of the pwsh process running it. 'pwsh -Command' exits 1 when the last
/// command failed ($? False) but 'pwsh -File' exits 0 unless the script says 'exit'. So when a verb fails inside a
/// console pwsh (or Windows PowerShell) that runs one script or command and then exits, the verb asks the host to exit
/// with its code once the script ends (PSHost.SetShouldExit): the script still runs to its end, and an explicit
/// 'exit N' in it still wins. Never in an interactive session (-NoExit, or no -Command/-File), where it would close
/// the shell, nor in other hosts.
/// </summary>
internal static class ScriptHost
{
    public static void ReportFailure(PSCmdlet cmdlet, int exitCode)
    {
        if (exitCode == 0) return;
        try
        {
            if (cmdlet.Host.Name != "ConsoleHost" || !RunsScriptThenExits(Environment.GetCommandLineArgs())) return;
            cmdlet.Host.SetShouldExit(exitCode);
        }
        catch (NotImplementedException) { }
    }

    private static readonly string[] OptionsWithValue =
    {
        "executionpolicy", "ep", "ex", "workingdirectory", "wd", "configurationname", "config", "outputformat", "o", "of",
        "inputformat", "if", "in", "windowstyle", "w", "settingsfile", "settings", "custompipename", "configurationfile", "psconsolefile", "version", "v",
    };

    /// <summary>
    /// True for a pwsh/powershell command line that runs -Command, -EncodedCommand or a script file (named by -File or as
    /// the first positional argument) and then exits; false with -NoExit or for an interactive session.
    /// </summary>
    public static bool RunsScriptThenExits(IReadOnlyList<string> commandLine)
    {
        for (var i = 1; i < commandLine.Count; i++)
        {
            var arg = commandLine[i];
            if (arg.Length < 2 || (arg[0] != '-' && arg[0] != '/'))
                return arg.Length > 0; // the first positional argument is a script file
            var name = arg.TrimStart('-', '/').ToLowerInvariant();
            var colon = name.IndexOf(':');
            if (colon >= 0) name = name.Substring(0, colon);
            if (name.Length >= 3 && "noexit".StartsWith(name, StringComparison.Ordinal)) return false;
            if (name == "c" || (name.Length >= 3 && "command".StartsWith(name, StringComparison.Ordinal))) return true;
            if (name == "f" || (name.Length >= 2 && "file".StartsWith(name, StringComparison.Ordinal))) return true;
            if (name is "e" or "ec" || (name.Length >= 2 && "encodedcommand".StartsWith(name, StringComparison.Ordinal))) return true;
            if (colon < 0 && OptionsWithValue.Contains(name)) i++;
        }
        return false;
    }
}
