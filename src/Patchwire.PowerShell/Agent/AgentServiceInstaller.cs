using System.Diagnostics;
using System.Runtime.InteropServices;
using Patchwire.Core.IO;

namespace Patchwire.PowerShell.Agent;

/// <summary>
/// Builds the <see cref="AgentServiceDefinition"/> for this machine and installs or removes it: writes the files
/// (settings owner-only), then asks the service manager (systemctl, launchctl; on Windows the caller runs the
/// PowerShell of <see cref="AgentServiceDefinition.WindowsInstallScript"/>).
/// </summary>
internal static class AgentServiceInstaller
{
    public static ServicePlatform CurrentPlatform =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? ServicePlatform.WindowsService
        : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? ServicePlatform.Launchd
        : ServicePlatform.Systemd;

    public static AgentServiceDefinition ForThisMachine(bool perUser, string? agentDll = null) => new()
    {
        Platform = CurrentPlatform,
        PerUser = perUser,
        DotnetHost = ResolveDotnet(),
        AgentDll = agentDll ?? AgentLocator.AgentDll,
        RunAs = Environment.UserName,
        UserHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Settings = AgentServiceDefinition.SettingsFromEnvironment(),
    };

    /// <summary>The dotnet host as an absolute path: a service manager does not search PATH the way a shell does.</summary>
    public static string ResolveDotnet()
    {
        var host = AgentLocator.DotnetHost;
        if (Path.IsPathRooted(host)) return host;
        var name = CurrentPlatform == ServicePlatform.WindowsService ? "dotnet.exe" : "dotnet";
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (folder.Length == 0) continue;
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new FileNotFoundException("The dotnet host was not found on PATH; set DOTNET_ROOT to the folder holding it.");
    }

    /// <summary>Writes the unit/plist and its settings, then enables and starts the service. Returns what it did, line by line.</summary>
    public static List<string> Install(AgentServiceDefinition definition)
    {
        var done = new List<string>();
        foreach (var file in definition.Files())
        {
            if (definition.Platform == ServicePlatform.WindowsService) continue;
            var folder = Path.GetDirectoryName(file.Path);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            AtomicFile.WriteAllText(file.Path, file.Content, ownerOnly: file.OwnerOnly);
            done.Add($"wrote {file.Path}{(file.OwnerOnly ? " (owner-only)" : "")}");
        }
        switch (definition.Platform)
        {
            case ServicePlatform.Systemd:
                var scope = definition.PerUser ? new[] { "--user" } : Array.Empty<string>();
                Run(done, "systemctl", scope.Concat(new[] { "daemon-reload" }));
                Run(done, "systemctl", scope.Concat(new[] { "enable", "--now", AgentServiceDefinition.SystemdName }));
                break;
            case ServicePlatform.Launchd:
                Run(done, "launchctl", new[] { "bootstrap", LaunchdDomain(definition), definition.LaunchdPlistPath });
                break;
        }
        return done;
    }

    public static List<string> Uninstall(AgentServiceDefinition definition)
    {
        var done = new List<string>();
        switch (definition.Platform)
        {
            case ServicePlatform.Systemd:
                var scope = definition.PerUser ? new[] { "--user" } : Array.Empty<string>();
                Run(done, "systemctl", scope.Concat(new[] { "disable", "--now", AgentServiceDefinition.SystemdName }), mayFail: true);
                Delete(done, definition.SystemdUnitPath);
                Delete(done, definition.SystemdEnvironmentPath);
                Run(done, "systemctl", scope.Concat(new[] { "daemon-reload" }));
                break;
            case ServicePlatform.Launchd:
                Run(done, "launchctl", new[] { "bootout", LaunchdDomain(definition) + "/" + AgentServiceDefinition.LaunchdLabel }, mayFail: true);
                Delete(done, definition.LaunchdPlistPath);
                break;
        }
        return done;
    }

    private static string LaunchdDomain(AgentServiceDefinition definition) =>
        definition.PerUser ? "gui/" + GetUid() : "system";

    private static string GetUid()
    {
        var result = Capture("id", new[] { "-u" });
        return result.Output.Trim();
    }

    private static void Delete(List<string> done, string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        done.Add($"removed {path}");
    }

    private static void Run(List<string> done, string command, IEnumerable<string> args, bool mayFail = false)
    {
        var list = args.ToList();
        var (exit, output) = Capture(command, list);
        var line = $"{command} {string.Join(" ", list)}";
        if (exit != 0 && !mayFail) throw new InvalidOperationException($"'{line}' failed (exit {exit}): {output.Trim()}");
        done.Add(exit == 0 ? $"ran {line}" : $"ran {line} (exit {exit}, ignored)");
    }

    private static (int ExitCode, string Output) Capture(string command, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(command, string.Join(" ", args.Select(a => a.IndexOf(' ') >= 0 ? "\"" + a + "\"" : a)))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{command}' could not be started: {ex.Message}");
        }
    }
}
