using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Runs;

namespace Patchwire.Agent.Sandbox;

/// <summary>How one AI run is launched: the program, the arguments before the AI's own command, and its HOME.</summary>
public sealed record AiLaunch(string? Wrapper, IReadOnlyList<string> WrapperArgs, string PrivateHome);

/// <summary>
/// The sandbox the agent runs every AI in, decided once at start from PW_SANDBOX and what the box has:
/// bubblewrap on Linux, or none (with one warning line at start, or a refusal to start when bwrap was required).
/// </summary>
public sealed class AiSandbox
{
    private readonly AgentOptions _options;
    private readonly bool _runningAsRoot;

    public AiSandbox(AgentOptions options)
    {
        var bwrap = OperatingSystem.IsLinux() && File.Exists(options.Sandbox.BwrapPath) ? options.Sandbox.BwrapPath : null;
        _options = options;
        _runningAsRoot = !OperatingSystem.IsWindows() && GetEuid() == 0;
        var settings = options.Sandbox;
        if (settings.Mode == SandboxMode.Off)
        {
            InUse = "none";
            return;
        }
        if (bwrap is not null)
        {
            Bwrap = bwrap;
            InUse = "bwrap";
            return;
        }
        var why = OperatingSystem.IsLinux()
            ? $"bubblewrap ({settings.BwrapPath}) is not installed; install the 'bubblewrap' package"
            : $"there is no AI sandbox on {(OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsWindows() ? "Windows" : "this system")} yet";
        if (settings.Mode == SandboxMode.Bwrap)
            throw new ConfigurationException($"PW_SANDBOX=bwrap but {why}.");
        InUse = "none";
        StartWarning = $"patchwire-agent: WARNING: the AI runs without a sandbox: {why} (PW_SANDBOX=auto). Every user's AI can read and write whatever this agent's account can. Set PW_SANDBOX=off to silence this.";
    }

    /// <summary>"bwrap" or "none", as /health reports it.</summary>
    public string InUse { get; }

    public string? Bwrap { get; }

    /// <summary>The one warning line printed at start when auto mode found no sandbox; null otherwise.</summary>
    public string? StartWarning { get; }

    /// <summary>What the start banner says about the sandbox.</summary>
    public string Banner => InUse == "bwrap"
        ? $"sandbox: bwrap (network {(_options.Sandbox.Network == SandboxNetwork.None ? "none" : "host")})"
        : $"sandbox: none{(_options.Sandbox.Mode == SandboxMode.Off ? " (PW_SANDBOX=off)" : "")}";

    /// <summary>
    /// Prepares one run in <paramref name="checkout"/> (which must lie in &lt;root&gt;/&lt;user&gt;/): the user's
    /// private home, and with bubblewrap the wrapper command line that shows the AI only what it may see.
    /// </summary>
    /// <exception cref="AiStartException">The run cannot be sandboxed safely (a checkout outside the projects root, a .git that is a link...).</exception>
    public AiLaunch Prepare(string checkout, string resolvedCommand)
    {
        var realRoot = ProjectPaths.RealPath(_options.ProjectsRoot);
        var realCheckout = ProjectPaths.RealPath(checkout);
        var relative = Path.GetRelativePath(realRoot, realCheckout);
        var user = relative.Split(Path.DirectorySeparatorChar)[0];
        if (relative == "." || user == ".." || Path.IsPathRooted(relative) || relative == user)
            throw new AiStartException($"The checkout {checkout} is not inside a user's folder of the projects root; the AI was not started.");

        var home = AiHome.Ensure(_options.Home, user);
        if (Bwrap is null) return new AiLaunch(null, Array.Empty<string>(), home);

        var git = new FileInfo(Path.Combine(realCheckout, ".git"));
        if (git.LinkTarget is not null)
            throw new AiStartException($"The checkout's .git ({git.FullName}) is a symbolic link; the AI was not started.");

        var sensitive = SensitivePaths();
        var installFolders = AiInstallTree.FoldersFor(resolvedCommand);
        foreach (var folder in installFolders)
            if (sensitive.Any(s => IsInside(folder, s)))
                throw new AiStartException($"The AI command's folder {folder} lies in the agent's state or a checkout; install the AI elsewhere (PW_AI_BIN).");
        // Each top-level folder of the agent's state becomes an empty read-only folder, whatever it lies under (a shown
        // system folder, or the private /tmp): only the user's own home and checkout are mounted back inside it.
        var hidden = sensitive.Where(s => !sensitive.Any(other => other != s && IsInside(s, other))).ToList();

        // A run folder borrows its checkout's objects (RunWorktrees): shown read-only at the same path, so git works inside.
        var shared = new List<string>();
        if (RunWorktrees.IsRunFolder(realCheckout))
            shared.Add(RunWorktrees.SharedObjects(realCheckout)
                ?? throw new AiStartException($"The run folder {checkout} does not borrow the objects of one of the user's checkouts; the AI was not started."));

        var layout = new SandboxLayout(realCheckout, home, AiHome.CredentialBinds(_options.Sandbox.CredentialFiles, home), installFolders, hidden, _options.Sandbox.Network, shared);
        return new AiLaunch(Bwrap, BwrapArguments.Build(layout, _runningAsRoot), home);
    }

    /// <summary>The agent's state: never shown to the AI, even when it lies under a folder the sandbox shows.</summary>
    private List<string> SensitivePaths() => new[]
        {
            _options.Home, _options.ProjectsRoot, Path.GetDirectoryName(_options.UsersFile)!, Path.GetDirectoryName(_options.AuditLog)!,
        }
        .Select(ProjectPaths.RealPath).Distinct().ToList();

    private static bool IsInside(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static uint GetEuid() => OperatingSystem.IsWindows() ? 1 : NativeMethods.geteuid();

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
        internal static extern uint geteuid();
    }
}
