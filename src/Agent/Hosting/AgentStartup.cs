using Patchwire.Agent.Chat;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.DetachedRuns;
using Patchwire.Agent.Git;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Usage;

namespace Patchwire.Agent.Hosting;

/// <summary>
/// The start-up work that must finish before the port opens, in this order: an upstream Patchwire users.json is
/// imported, the user registry must be readable (an unreadable one stops the start before anything is written), the
/// pricing file is reported (an unreadable one already stopped the start when it was loaded), the one-time
/// PW_AGENT_TOKEN migration, owner-only state, crash recovery of interrupted runs, and the chat sessions. It runs in <see cref="StartingAsync"/>, which the host calls
/// before any hosted service starts, Kestrel included. A failure there stops the start; the command line reports it
/// in one line. What it tells the operator goes to <see cref="StartupNotices"/>: stdout, in order, before the
/// listening line.
/// </summary>
public sealed class AgentStartup(
    AgentOptions options,
    UserDirectory users,
    RunRecovery recovery,
    ChatSessionStore sessions,
    DetachedRunService detachedRuns,
    PricingTable pricing,
    Verify.VerifyOptions verify,
    StartupNotices notices,
    ILogger<AgentStartup> log) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Home);
        foreach (var line in UpstreamRegistryImport.Run(users.Registry)) notices.Write(line);
        var registered = users.LoadNow();
        log.LogDebug("Registry {Path} holds {Count} user(s)", users.Registry.Path, registered.Count);
        if (pricing.Path is not null) notices.Write($"pricing: {pricing.Count} model(s) from {pricing.Path}");
        if (verify.Enabled) notices.Write($"verify: {verify.CommandText} (PW_VERIFY_CMD; at most {(int)verify.Timeout.TotalSeconds} s)");

        if (LegacyTokenMigration.Run(options, users.Registry) is { } migrated) notices.Write(migrated);
        Directory.CreateDirectory(options.ProjectsRoot);
        StatePermissions.Restrict(options);

        AgentGit.ConfigureFromEnvironment();
        var recovered = recovery.RecoverAll();
        foreach (var line in recovered) notices.Write(line);
        log.LogDebug("Crash recovery: {Count} interrupted run(s) handled", recovered.Count);

        if (sessions.Load() is { } sessionsLine) notices.Write(sessionsLine);
        foreach (var line in detachedRuns.Recover()) notices.Write(line);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// The agent's lines on stdout that operators and scripts read (migration, recovery, sessions set aside). Written at
/// once and flushed: the log is written asynchronously, so it could not keep them in order with the listening line.
/// </summary>
public sealed class StartupNotices
{
    public void Write(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
