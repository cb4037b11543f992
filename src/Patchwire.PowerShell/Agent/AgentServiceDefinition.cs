using System.Collections;
using System.Security;
using System.Text;
using Patchwire.Core.Configuration;

namespace Patchwire.PowerShell.Agent;

public enum ServicePlatform { Systemd, Launchd, WindowsService }

/// <summary>One file (or script) the service install writes or runs, for -WhatIf and --print.</summary>
public sealed class ServiceFile
{
    public string Path { get; set; } = "";
    public string Content { get; set; } = "";
    /// <summary>Holds the agent's settings (tokens among them): written readable by its owner only.</summary>
    public bool OwnerOnly { get; set; }
}

/// <summary>
/// What installing the agent as a service writes on each OS: a systemd unit with an owner-only EnvironmentFile, a
/// launchd plist (owner-only: it carries the settings), or the PowerShell that registers a Windows service with its
/// settings in the service's Environment value. Text only; <see cref="AgentServiceInstaller"/> writes and runs it.
/// </summary>
public sealed class AgentServiceDefinition
{
    public const string SystemdName = "patchwire-agent";
    public const string LaunchdLabel = "com.patchwire.agent";
    public const string WindowsName = "PatchwireAgent";

    /// <summary>Variables of the laptop side (and the foreground-only stdin switch), never written into the service settings.</summary>
    private static readonly string[] LaptopVariables = { "PW_TOKEN", "PW_USER", "PW_AGENT_URL", "PW_AGENT_CA", "PW_AGENT_EXIT_WITH_STDIN" };

    public ServicePlatform Platform { get; set; }
    /// <summary>Per-user service (systemd --user, a LaunchAgent) rather than system-wide (a system unit, a LaunchDaemon).</summary>
    public bool PerUser { get; set; }
    public string DotnetHost { get; set; } = default!;
    public string AgentDll { get; set; } = default!;
    /// <summary>The account a system-wide unit runs as.</summary>
    public string RunAs { get; set; } = default!;
    /// <summary>The installing user's home (per-user file locations).</summary>
    public string UserHome { get; set; } = default!;
    /// <summary>Agent settings (PW_*), PW_HOME always among them.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; set; } = default!;

    /// <summary>Seconds the service manager waits for a stop: the agent's grace plus time to restore checkouts.</summary>
    public int StopTimeoutSeconds =>
        (Settings.TryGetValue("PW_STOP_GRACE_SEC", out var g) && int.TryParse(g, out var grace) ? grace : 20) + 40;

    /// <summary>The agent settings of this process's environment: every PW_* but the laptop's, and PW_HOME made absolute.</summary>
    public static SortedDictionary<string, string> SettingsFromEnvironment(IDictionary? env = null)
    {
        env ??= Environment.GetEnvironmentVariables();
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in env)
        {
            var name = entry.Key?.ToString() ?? "";
            var value = entry.Value?.ToString() ?? "";
            if (!name.StartsWith("PW_", StringComparison.Ordinal) || value.Length == 0 || LaptopVariables.Contains(name)) continue;
            if (value.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
                throw new ArgumentException($"{name} holds a line break; a service setting must be one line.");
            settings[name] = value;
        }
        settings["PW_HOME"] = PatchwireHome.FromEnvironment(env).Home;
        if (env["DOTNET_ROOT"] is string root && root.Length > 0) settings["DOTNET_ROOT"] = root;
        return settings;
    }

    public IReadOnlyList<ServiceFile> Files() => Platform switch
    {
        ServicePlatform.Systemd => new[]
        {
            new ServiceFile { Path = SystemdUnitPath, Content = SystemdUnit() },
            new ServiceFile { Path = SystemdEnvironmentPath, Content = SystemdEnvironmentFile(), OwnerOnly = true },
        },
        ServicePlatform.Launchd => new[] { new ServiceFile { Path = LaunchdPlistPath, Content = LaunchdPlist(), OwnerOnly = true } },
        _ => new[] { new ServiceFile { Path = "(Windows service " + WindowsName + ")", Content = WindowsInstallScript() } },
    };

    public string SystemdUnitPath => PerUser
        ? Path.Combine(UserHome, ".config", "systemd", "user", SystemdName + ".service")
        : "/etc/systemd/system/" + SystemdName + ".service";

    public string SystemdEnvironmentPath => PerUser
        ? Path.Combine(UserHome, ".config", "patchwire", "agent.env")
        : "/etc/patchwire/agent.env";

    public string LaunchdPlistPath => PerUser
        ? Path.Combine(UserHome, "Library", "LaunchAgents", LaunchdLabel + ".plist")
        : "/Library/LaunchDaemons/" + LaunchdLabel + ".plist";

    public string SystemdUnit()
    {
        var unit = new StringBuilder();
        unit.Append("[Unit]\n");
        unit.Append("Description=Patchwire agent (AI coding runs for a team)\n");
        if (!PerUser) unit.Append("After=network-online.target\nWants=network-online.target\n");
        unit.Append("\n[Service]\n");
        unit.Append("Type=notify\n");
        unit.Append($"ExecStart={SystemdQuote(DotnetHost)} {SystemdQuote(AgentDll)} serve\n");
        unit.Append($"EnvironmentFile={SystemdEnvironmentPath}\n");
        if (!PerUser) unit.Append($"User={RunAs}\n");
        unit.Append("Restart=on-failure\n");
        unit.Append("RestartSec=5\n");
        // SIGTERM to the agent only: it stops the AI runs itself after PW_STOP_GRACE_SEC and restores their checkouts.
        unit.Append("KillMode=mixed\n");
        unit.Append($"TimeoutStopSec={StopTimeoutSeconds}\n");
        unit.Append("LimitNOFILE=65536\n");
        unit.Append($"SyslogIdentifier={SystemdName}\n");
        unit.Append("\n[Install]\n");
        unit.Append(PerUser ? "WantedBy=default.target\n" : "WantedBy=multi-user.target\n");
        return unit.ToString();
    }

    public string SystemdEnvironmentFile()
    {
        var file = new StringBuilder("# Patchwire agent settings (read by systemd; owner-only)\n");
        foreach (var pair in Settings)
            file.Append(pair.Key).Append("=\"").Append(pair.Value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "\\$")).Append("\"\n");
        return file.ToString();
    }

    public string LaunchdPlist()
    {
        string S(string text) => "<string>" + SecurityElement.Escape(text) + "</string>";
        var logs = PerUser ? Path.Combine(UserHome, "Library", "Logs", "patchwire-agent.log") : "/Library/Logs/patchwire-agent.log";
        var plist = new StringBuilder();
        plist.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        plist.Append("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
        plist.Append("<plist version=\"1.0\">\n<dict>\n");
        plist.Append("  <key>Label</key>").Append(S(LaunchdLabel)).Append('\n');
        plist.Append("  <key>ProgramArguments</key>\n  <array>").Append(S(DotnetHost)).Append(S(AgentDll)).Append(S("serve")).Append("</array>\n");
        plist.Append("  <key>EnvironmentVariables</key>\n  <dict>\n");
        foreach (var pair in Settings) plist.Append("    <key>").Append(SecurityElement.Escape(pair.Key)).Append("</key>").Append(S(pair.Value)).Append('\n');
        plist.Append("  </dict>\n");
        if (!PerUser) plist.Append("  <key>UserName</key>").Append(S(RunAs)).Append('\n');
        plist.Append("  <key>RunAtLoad</key><true/>\n");
        plist.Append("  <key>KeepAlive</key>\n  <dict><key>SuccessfulExit</key><false/></dict>\n");
        plist.Append("  <key>ExitTimeOut</key><integer>").Append(StopTimeoutSeconds).Append("</integer>\n");
        plist.Append("  <key>SoftResourceLimits</key>\n  <dict><key>NumberOfFiles</key><integer>65536</integer></dict>\n");
        plist.Append("  <key>StandardOutPath</key>").Append(S(logs)).Append('\n');
        plist.Append("  <key>StandardErrorPath</key>").Append(S(logs)).Append('\n');
        plist.Append("</dict>\n</plist>\n");
        return plist.ToString();
    }

    public string WindowsInstallScript()
    {
        string Q(string text) => "'" + text.Replace("'", "''") + "'";
        var binary = $"\"{DotnetHost}\" \"{AgentDll}\" serve";
        var script = new StringBuilder();
        script.Append($"New-Service -Name {WindowsName} -DisplayName 'Patchwire agent' -Description 'AI coding runs for a team (Patchwire)' -StartupType Automatic -BinaryPathName {Q(binary)}\n");
        script.Append($"Set-ItemProperty -Path {Q(@"HKLM:\SYSTEM\CurrentControlSet\Services\" + WindowsName)} -Name Environment -Type MultiString -Value @(");
        script.Append(string.Join(", ", Settings.Select(p => Q(p.Key + "=" + p.Value))));
        script.Append(")\n");
        script.Append($"sc.exe failure {WindowsName} reset= 86400 actions= restart/5000/restart/5000/restart/60000 | Out-Null\n");
        script.Append($"Start-Service -Name {WindowsName}\n");
        return script.ToString();
    }

    public string WindowsUninstallScript() =>
        $"Stop-Service -Name {WindowsName} -ErrorAction SilentlyContinue\nsc.exe delete {WindowsName} | Out-Null\n";

    private static string SystemdQuote(string path) =>
        path.IndexOfAny(new[] { ' ', '"', '\\', '\'' }) < 0 ? path : "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
