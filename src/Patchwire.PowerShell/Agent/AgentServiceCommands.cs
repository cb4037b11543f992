using System.Management.Automation;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Agent;

[Cmdlet(VerbsLifecycle.Install, "PatchwireAgentService", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
[Synopsis("Installs the Patchwire agent as a service that starts at boot (systemd, launchd or a Windows service).")]
[Description("Writes a systemd unit (Type=notify, Restart=on-failure, TimeoutStopSec above PW_STOP_GRACE_SEC, LimitNOFILE=65536) with the agent's PW_* settings from this session in an owner-only EnvironmentFile, then runs 'systemctl enable --now'. On macOS writes a launchd plist (owner-only: it carries the settings) and bootstraps it; on Windows registers a service with New-Service and its settings in the service's Environment value. -PerUser installs for the current user only (systemd --user, a LaunchAgent). -WhatIf shows each file with its content and each command, changing nothing.")]
[Example("$env:PW_AGENT_HOST = '0.0.0.0'; $env:PW_TLS_CERT = '/etc/patchwire/box.crt'; $env:PW_TLS_KEY = '/etc/patchwire/box.key'; Install-PatchwireAgentService", "Installs a system-wide service with https on every interface.")]
[Example("Install-PatchwireAgentService -PerUser -WhatIf", "Shows the unit and settings file it would write for the current user.")]
public sealed class InstallPatchwireAgentServiceCommand : PSCmdlet
{
    [Parameter(HelpMessage = "Install for the current user only (systemd --user, ~/Library/LaunchAgents) instead of system-wide.")]
    public SwitchParameter PerUser { get; set; }

    protected override void EndProcessing() => AgentServiceCmdlets.Run(this, PerUser, install: true);
}

[Cmdlet(VerbsLifecycle.Uninstall, "PatchwireAgentService", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
[Synopsis("Stops and removes the Patchwire agent service and its settings file.")]
[Description("Disables and stops the service, removes the unit (or plist) and its settings file. The agent's state ($PW_HOME: users, audit log, checkouts) is kept.")]
[Example("Uninstall-PatchwireAgentService", "Removes the system-wide service.")]
public sealed class UninstallPatchwireAgentServiceCommand : PSCmdlet
{
    [Parameter(HelpMessage = "Remove the current user's service instead of the system-wide one.")]
    public SwitchParameter PerUser { get; set; }

    protected override void EndProcessing() => AgentServiceCmdlets.Run(this, PerUser, install: false);
}

internal static class AgentServiceCmdlets
{
    public static void Run(PSCmdlet cmdlet, bool perUser, bool install)
    {
        AgentServiceDefinition definition;
        try { definition = AgentServiceInstaller.ForThisMachine(perUser); }
        catch (Exception ex) when (ex is FileNotFoundException or ArgumentException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "AgentServiceNotReady", ErrorCategory.ObjectNotFound, null));
            return;
        }
        var target = definition.Platform switch
        {
            ServicePlatform.Systemd => definition.SystemdUnitPath,
            ServicePlatform.Launchd => definition.LaunchdPlistPath,
            _ => "Windows service " + AgentServiceDefinition.WindowsName,
        };
        if (cmdlet.MyInvocation.BoundParameters.ContainsKey("WhatIf"))
        {
            // -WhatIf shows the content too: an admin reviews the unit before it is written.
            foreach (var file in install ? definition.Files() : Array.Empty<ServiceFile>())
                cmdlet.Host.UI.WriteLine($"What if: would write {file.Path}{(file.OwnerOnly ? " (owner-only)" : "")}:\n{file.Content}");
        }
        if (!cmdlet.ShouldProcess(target, install ? "Install the Patchwire agent service" : "Remove the Patchwire agent service")) return;
        try
        {
            if (definition.Platform == ServicePlatform.WindowsService)
            {
                cmdlet.InvokeCommand.InvokeScript(install ? definition.WindowsInstallScript() : definition.WindowsUninstallScript());
                cmdlet.WriteObject((install ? "installed and started " : "removed ") + target);
                return;
            }
            foreach (var line in install ? AgentServiceInstaller.Install(definition) : AgentServiceInstaller.Uninstall(definition))
                cmdlet.WriteObject(line);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "AgentServiceFailed", ErrorCategory.InvalidOperation, target));
        }
    }
}

[CliVerb(CliVerbAttribute.Agent, "install", "install the agent as a service (systemd, launchd, Windows service)")]
public sealed class InstallServiceCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire-agent install [--user] [--print]\n" +
                           "  Installs the agent as a service with this shell's PW_* settings (owner-only settings file).\n" +
                           "  --user: for the current user only; --print: print the unit/plist and settings, change nothing.";
    public IEnumerable<string> ValueOptions => Array.Empty<string>();
    public IEnumerable<string> Flags => new[] { "--user", "--print" };

    public int Run(CliContext context, CliArgs args) => ServiceCliVerb.Run(context, args, Usage, install: true);
}

[CliVerb(CliVerbAttribute.Agent, "uninstall", "remove the agent service (its state is kept)")]
public sealed class UninstallServiceCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire-agent uninstall [--user] [--print]\n" +
                           "  Stops and removes the agent service and its settings file; $PW_HOME is kept.";
    public IEnumerable<string> ValueOptions => Array.Empty<string>();
    public IEnumerable<string> Flags => new[] { "--user", "--print" };

    public int Run(CliContext context, CliArgs args) => ServiceCliVerb.Run(context, args, Usage, install: false);
}

internal static class ServiceCliVerb
{
    public static int Run(CliContext context, CliArgs args, string usage, bool install)
    {
        if (args.Help) { context.Out(usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{args.Positionals[0]}'");
        AgentServiceDefinition definition;
        try { definition = AgentServiceInstaller.ForThisMachine(args.Flag("--user")); }
        catch (Exception ex) when (ex is FileNotFoundException or ArgumentException) { throw new CliFailure(ex.Message); }
        if (args.Flag("--print"))
        {
            if (!install && definition.Platform == ServicePlatform.WindowsService) { context.Out(definition.WindowsUninstallScript()); return 0; }
            foreach (var file in install ? definition.Files() : Array.Empty<ServiceFile>())
            {
                context.Out($"# {file.Path}{(file.OwnerOnly ? " (owner-only)" : "")}");
                context.Out(file.Content);
            }
            if (!install)
                foreach (var file in definition.Files()) context.Out($"# would remove {file.Path}");
            return 0;
        }
        var extra = args.Flag("--user") ? " -PerUser" : "";
        context.Cmdlet.InvokeCommand.InvokeScript((install ? "Install" : "Uninstall") + "-PatchwireAgentService" + extra + " | Out-Host");
        return 0;
    }
}
