using System.Diagnostics;
using System.Text;

namespace Patchwire.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0) throw new InvalidOperationException($"{what} exited {ExitCode}: {Stderr}{Stdout}");
        return this;
    }
}

public static class ProcessRunner
{
    /// <summary>Runs a process to completion. The child's PW_* variables are cleared first, then <paramref name="env"/> applied.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> args, string? cwd = null, IDictionary<string, string?>? env = null, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        ApplyEnvironment(psi, env);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit((int)(timeout ?? TimeSpan.FromMinutes(2)).TotalMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static void ApplyEnvironment(ProcessStartInfo psi, IDictionary<string, string?>? env)
    {
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PW_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["GIT_AUTHOR_NAME"] = "Patchwire Test";
        psi.Environment["GIT_AUTHOR_EMAIL"] = "test@patchwire.invalid";
        psi.Environment["GIT_COMMITTER_NAME"] = "Patchwire Test";
        psi.Environment["GIT_COMMITTER_EMAIL"] = "test@patchwire.invalid";
        if (env is null) return;
        foreach (var (k, v) in env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
    }
}
