using System.Diagnostics;
using System.Text.Json;

namespace Patchwire.Tests.Laptop;

/// <summary>A verb as a script meets it: a real 'pwsh -NonInteractive -Command' process with the module, its stdout and stderr apart.</summary>
public static class ChildPwsh
{
    public static async Task<ProcessResult> RunAsync(LaptopTestBed bed, string folder, string commands, string? token, string? stdin = null, IDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        var script = $"Import-Module '{TestPaths.ModuleDll}'; Set-Location '{folder}'; {commands}; exit $LASTEXITCODE";
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", script }) psi.ArgumentList.Add(a);
        var settings = new Dictionary<string, string?> { ["PW_HOME"] = bed.LaptopHome, ["PW_AGENT_URL"] = bed.Agent.BaseUrl, ["PW_TOKEN"] = token };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        ProcessRunner.ApplyEnvironment(psi, settings);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>stdout parsed as exactly one JSON document (JsonDocument.Parse throws on anything before or after it).</summary>
    public static JsonElement OnlyJson(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }
}
