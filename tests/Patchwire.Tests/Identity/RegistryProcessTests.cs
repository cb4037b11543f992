using System.Diagnostics;
using Patchwire.Core.Identity;

namespace Patchwire.Tests.Identity;

/// <summary>Several real pwsh processes writing one registry through the module, as admins on a box would.</summary>
public sealed class RegistryProcessTests
{
    private static Process StartPwsh(string home, string script)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", $"Import-Module '{TestPaths.ModuleDll}'; {script}" }) psi.ArgumentList.Add(a);
        ProcessRunner.ApplyEnvironment(psi, new Dictionary<string, string?> { ["PW_HOME"] = home });
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Two_processes_adding_50_users_each_at_once_leave_all_100()
    {
        using var home = new TempDirectory();
        var a = StartPwsh(home.Path, "1..50 | ForEach-Object { New-PatchwireUser \"a$_\" } | Out-Null");
        var b = StartPwsh(home.Path, "1..50 | ForEach-Object { New-PatchwireUser \"b$_\" } | Out-Null");
        var errors = await Task.WhenAll(a.StandardError.ReadToEndAsync(), b.StandardError.ReadToEndAsync());
        await Task.WhenAll(a.WaitForExitAsync(), b.WaitForExitAsync());
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, string.Join("\n", errors));
        var names = new UserRegistry(Path.Combine(home.Path, "users.json")).Load().Select(u => u.Name).ToHashSet();
        Assert.Equal(100, names.Count);
        Assert.Contains("a50", names);
        Assert.Contains("b1", names);
    }

    [Fact]
    public async Task A_writer_killed_mid_write_leaves_the_old_or_the_new_registry_never_a_torn_one()
    {
        using var home = new TempDirectory();
        var registry = new UserRegistry(Path.Combine(home.Path, "users.json"));
        // A big registry makes every write take long enough to be interrupted.
        registry.Update(users =>
        {
            for (var i = 0; i < 3000; i++)
                users.Add(new UserRecord { Name = $"u{i}", TokenSha256 = Tokens.Hash($"token-{i}-0123456789"), CreatedAt = DateTimeOffset.UtcNow });
            return 0;
        });
        var random = new Random(7);
        for (var round = 0; round < 4; round++)
        {
            var writer = StartPwsh(home.Path, "while ($true) { Reset-PatchwireUserToken u1 -Confirm:$false | Out-Null; Disable-PatchwireUser u2 -Confirm:$false; Enable-PatchwireUser u2 }");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            var before = File.GetLastWriteTimeUtc(registry.Path);
            while (File.GetLastWriteTimeUtc(registry.Path) == before && DateTime.UtcNow < deadline) await Task.Delay(20);
            await Task.Delay(random.Next(0, 150));
            writer.Kill(entireProcessTree: true);
            await writer.WaitForExitAsync();

            var users = registry.Load();
            Assert.Equal(3000, users.Count);
            // The lock died with the writer: the next write goes through at once.
            registry.SetDisabled("u3", round % 2 == 0);
        }
    }
}
