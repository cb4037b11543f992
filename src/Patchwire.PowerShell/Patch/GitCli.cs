using System.Diagnostics;
using System.Text;

namespace Patchwire.PowerShell.Patch;

/// <summary>The result of one git command.</summary>
public sealed class GitOutput(int exitCode, string stdout, string stderr)
{
    public int ExitCode { get; } = exitCode;
    public string Stdout { get; } = stdout;
    public string Stderr { get; } = stderr;
    public bool Ok => ExitCode == 0;
}

/// <summary>Runs the git CLI with arguments passed as a list (no shell), optional extra environment and stdin.</summary>
public static class GitCli
{
    public static GitOutput Run(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.Arguments = string.Join(" ", args.Select(Quote));
        psi.EnvironmentVariables["GIT_TERMINAL_PROMPT"] = "0";
        psi.EnvironmentVariables["LC_ALL"] = "C";
        if (environment is not null) foreach (var pair in environment) psi.EnvironmentVariables[pair.Key] = pair.Value;
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("git did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("git was not found on PATH. Install git (https://git-scm.com) and try again.", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                var input = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false));
                input.Write(stdin);
                input.Close();
            }
            process.WaitForExit();
            return new GitOutput(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    public static GitOutput Run(string workingDirectory, params string[] args) => Run(workingDirectory, args, null, null);

    // netstandard2.0 has no ArgumentList: quote each argument the way the runtime splits a command line.
    internal static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.All(c => !char.IsWhiteSpace(c) && c != '"' && c != '\\')) return arg;
        var sb = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in arg)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"') { sb.Append('\\', backslashes * 2 + 1); sb.Append('"'); }
            else { sb.Append('\\', backslashes); sb.Append(c); }
            backslashes = 0;
        }
        sb.Append('\\', backslashes * 2);
        sb.Append('"');
        return sb.ToString();
    }
}
