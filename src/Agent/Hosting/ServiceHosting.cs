using Microsoft.Extensions.Hosting.Systemd;

namespace Patchwire.Agent.Hosting;

/// <summary>
/// The service managers the agent runs under. systemd (a Type=notify unit): READY=1 once the port is open, STOPPING=1
/// on stop, SIGTERM as a graceful stop. A Windows service: the service control manager's stop is a graceful stop.
/// Elsewhere (a terminal, launchd) the console lifetime: SIGTERM and Ctrl+C stop gracefully.
/// </summary>
public static class ServiceHosting
{
    public static void Add(IServiceCollection services)
    {
        services.AddSystemd();        // only when systemd started the process
        services.AddWindowsService(); // only when the service control manager started it
        // systemd is recognised by being the parent process; a unit behind a wrapper (or a test) still sets
        // NOTIFY_SOCKET, and a Type=notify unit whose READY=1 never comes is killed at TimeoutStartSec.
        if (!OperatingSystem.IsWindows() && !SystemdHelpers.IsSystemdService() && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
    }
}
