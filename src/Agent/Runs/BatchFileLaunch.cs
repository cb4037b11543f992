using System.Text;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Starting a Windows batch file (npm's <c>claude.cmd</c>) with arguments. Windows starts a .cmd only through
/// cmd.exe, and cmd.exe reads its command line by rules of its own: outside double quotes <c>&amp; | &lt; &gt; ^</c>
/// run or redirect commands, and everywhere <c>%NAME%</c> is expanded, and a <c>"</c> ends a quoted part. Handing a
/// .cmd to CreateProcess with arguments quoted for ordinary programs is how injections such as CVE-2024-24576
/// ("BatBadBut") happen. So the line is built here: <c>cmd.exe /d /s /v:off /c ""file" "arg" ..."</c>, every argument
/// in double quotes (which cmd.exe and the batch file's <c>%*</c> pass on as they are), backslashes before a closing
/// quote doubled (for the program the batch file starts, which reads its arguments by the C runtime's rules), and an
/// argument holding a character no quoting makes safe (<c>" %</c>, line breaks, NUL) refused rather than guessed at.
/// The prompt never goes on this line: it goes to stdin.
/// </summary>
public static class BatchFileLaunch
{
    private static readonly char[] Unquotable = { '"', '%', '\r', '\n', '\0' };

    /// <summary>cmd.exe of this Windows (not %ComSpec%, which any environment can point elsewhere).</summary>
    public static string CmdExe => Path.Combine(Environment.SystemDirectory, "cmd.exe");

    /// <summary>The program to start and its whole argument string (for ProcessStartInfo.Arguments, not ArgumentList).</summary>
    /// <exception cref="AiStartException">The file's path or an argument holds a character cmd.exe cannot be given safely.</exception>
    public static (string FileName, string Arguments) Build(string cmdExe, string batchFile, IReadOnlyList<string> arguments)
    {
        if (batchFile.IndexOfAny(Unquotable) >= 0)
            throw new AiStartException($"The AI command '{batchFile}' is a batch file whose path holds a character cmd.exe cannot be given safely (\" % or a line break); move it or point PW_AI_BIN at the program it starts.");
        var line = new StringBuilder("/d /s /v:off /c \"");
        line.Append('"').Append(batchFile).Append('"');
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            var bad = argument.IndexOfAny(Unquotable);
            if (bad >= 0)
                throw new AiStartException(
                    $"Argument {i + 1} of the AI command holds {Describe(argument[bad])}, which cannot be passed safely to the batch file '{Path.GetFileName(batchFile)}' through cmd.exe. Remove it from PW_AI_ARGS, or point PW_AI_BIN at the program the batch file starts (for npm's claude.cmd: node.exe with the cli.js it names).");
            line.Append(" \"").Append(argument);
            // The C runtime reads backslashes before a quote as escapes: "C:\dir\" would swallow the closing quote.
            var trailing = argument.Length - argument.TrimEnd('\\').Length;
            line.Append('\\', trailing).Append('"');
        }
        line.Append('"');
        return (cmdExe, line.ToString());
    }

    private static string Describe(char c) => c switch
    {
        '"' => "a double quote",
        '%' => "a percent sign",
        '\0' => "a NUL character",
        _ => "a line break",
    };
}
