using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Sandbox;

/// <summary>What one sandboxed AI run sees, in host paths (each mounted at the same path inside).</summary>
public sealed record SandboxLayout(
    string Checkout,
    string PrivateHome,
    IReadOnlyList<(string Source, string Target)> Credentials,
    IReadOnlyList<string> InstallFolders,
    IReadOnlyList<string> HiddenPaths,
    SandboxNetwork Network,
    IReadOnlyList<string>? SharedReadOnly = null);

/// <summary>
/// The bubblewrap command line for one AI run. Mounts go in order, later ones on top: the system read-only, a
/// fresh /proc and /dev for the run's own PID namespace, a private /tmp, the AI's install tree read-only, empty
/// read-only folders over the agent's state, the user's private home, the credential
/// files read-only, the checkout read-write, the checkout's .git read-only on top of it, and last (for a run folder)
/// the object folder it borrows from the user's checkout, read-only.
/// </summary>
public static class BwrapArguments
{
    private static readonly string[] TopLevelLinks = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

    /// <summary>Files under /etc that only root may read; bound over with /dev/null when the agent runs as root.</summary>
    private static readonly string[] RootOnlyEtcFiles = { "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-" };

    /// <summary>Kernel knobs a root AI could otherwise write through its own /proc.</summary>
    private static readonly string[] ProcReadOnly = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus" };

    public static List<string> Build(SandboxLayout layout, bool runningAsRoot)
    {
        var args = new List<string>
        {
            // --die-with-parent: the sandbox dies with the agent (the AI is started from a thread that lives as long as
            // the agent; see ProcessGroup). No --new-session: setsid already gave bwrap a session of its own, and the
            // sandbox's PID 1 must stay in bwrap's process group, which is what a timeout or a cancel kills.
            "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "patchwire-sandbox",
        };
        if (layout.Network == SandboxNetwork.None) args.Add("--unshare-net");
        if (runningAsRoot) args.AddRange(new[] { "--cap-drop", "ALL" });

        args.AddRange(new[] { "--ro-bind", "/usr", "/usr" });
        foreach (var top in TopLevelLinks)
        {
            var info = new DirectoryInfo(top);
            if (info.LinkTarget is { } target) args.AddRange(new[] { "--symlink", target, top });
            else if (info.Exists) args.AddRange(new[] { "--ro-bind", top, top });
        }
        args.AddRange(new[] { "--ro-bind", "/etc", "/etc" });
        // A resolv.conf that points outside /etc (systemd-resolved) would leave the AI without DNS on host network.
        var resolv = new FileInfo("/etc/resolv.conf");
        if (resolv.LinkTarget is not null)
        {
            var real = ProjectPaths.RealPath(resolv.FullName);
            if (!real.StartsWith("/etc/", StringComparison.Ordinal) && !real.StartsWith("/usr/", StringComparison.Ordinal) && File.Exists(real))
                args.AddRange(new[] { "--ro-bind", real, real });
        }
        if (runningAsRoot)
            foreach (var secret in RootOnlyEtcFiles.Where(File.Exists))
                args.AddRange(new[] { "--ro-bind", "/dev/null", secret });

        args.AddRange(new[] { "--proc", "/proc", "--dev", "/dev" });
        foreach (var knob in ProcReadOnly) args.AddRange(new[] { "--ro-bind-try", knob, knob });
        args.AddRange(new[] { "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run" });

        foreach (var folder in layout.InstallFolders) args.AddRange(new[] { "--ro-bind", folder, folder });
        foreach (var hidden in layout.HiddenPaths) args.AddRange(new[] { "--tmpfs", hidden });

        args.AddRange(new[] { "--bind", layout.PrivateHome, layout.PrivateHome });
        foreach (var (source, target) in layout.Credentials) args.AddRange(new[] { "--ro-bind", source, target });

        args.AddRange(new[] { "--bind", layout.Checkout, layout.Checkout });
        var git = Path.Combine(layout.Checkout, ".git");
        if (Directory.Exists(git) || File.Exists(git)) args.AddRange(new[] { "--ro-bind", git, git });
        foreach (var shared in layout.SharedReadOnly ?? Array.Empty<string>()) args.AddRange(new[] { "--ro-bind", shared, shared });
        // The sandbox's own root and the empty folders over the agent's state (which hold the checkout's and the home's
        // parents) are read-only: the AI can write in its checkout, its home and /tmp, nowhere else.
        foreach (var hidden in layout.HiddenPaths) args.AddRange(new[] { "--remount-ro", hidden });
        args.AddRange(new[] { "--remount-ro", "/", "--chdir", layout.Checkout, "--" });
        return args;
    }
}
