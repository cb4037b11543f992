namespace Patchwire.Tests.Runs;

/// <summary>Checks on a checkout after a run: exactly the pre-run tree, and patches that apply to it.</summary>
public static class CheckoutAssert
{
    /// <summary>Records every file (path, content, executable bit) that is not under .git.</summary>
    public static Dictionary<string, string> Fingerprint(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(path, file).Replace('\\', '/');
            if (relative.StartsWith(".git/", StringComparison.Ordinal)) continue;
            var mode = OperatingSystem.IsWindows() ? "" : File.GetUnixFileMode(file).HasFlag(UnixFileMode.UserExecute) ? "x" : "-";
            result[relative] = mode + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        }
        return result;
    }

    public static void SameTree(Dictionary<string, string> before, string path)
    {
        var after = Fingerprint(path);
        var changed = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b).ToList();
        Assert.True(changed.Count == 0, "Checkout differs from its pre-run state at: " + string.Join(", ", changed));
    }

    /// <summary>Clones the checkout's <paramref name="commit"/> into a fresh folder and checks that the patch applies there with git apply.</summary>
    public static GitRepo ApplyToCopy(GitRepo source, string commit, string patch, string scratch)
    {
        var copy = Path.Combine(scratch, "copy-" + Guid.NewGuid().ToString("N")[..8]);
        ProcessRunner.Run("git", new[] { "clone", "-q", "--no-checkout", source.Path, copy }).EnsureSuccess("git clone");
        var repo = new GitRepo(copy);
        repo.Git("checkout", "-q", "--detach", commit);
        var patchFile = Path.Combine(scratch, "run-" + Guid.NewGuid().ToString("N")[..8] + ".patch");
        File.WriteAllText(patchFile, patch);
        repo.Git("apply", "--check", patchFile);
        repo.Git("apply", patchFile);
        return repo;
    }
}
