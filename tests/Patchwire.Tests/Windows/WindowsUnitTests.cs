using System.Runtime.InteropServices;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Health;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Sync;
using Patchwire.Core.Identity;

namespace Patchwire.Tests.Windows;

/// <summary>
/// The Windows paths that can be exercised on Linux: command lookup through PATHEXT from a fake PATH, the cmd.exe
/// command line for a .cmd, the snapshot name rules, the job object structures' layout, and the one-lock rule.
/// </summary>
public sealed class CommandResolverWindowsTests : IDisposable
{
    private readonly TempDirectory _dir = new("pw-pathext");

    public void Dispose() => _dir.Dispose();

    private string Bin(string folder, params string[] files)
    {
        var path = _dir.Combine(folder);
        Directory.CreateDirectory(path);
        foreach (var f in files) File.WriteAllText(Path.Combine(path, f), "x");
        return path;
    }

    [Fact]
    public void Npms_claude_cmd_is_found_beside_its_extensionless_sh_script()
    {
        var npm = Bin("npm", "claude", "claude.cmd", "claude.ps1");
        var lookup = new CommandResolver.Lookup(true, $"{_dir.Combine("empty")};\"{npm}\"", ".COM;.EXE;.BAT;.CMD;.VBS;.JS");

        Assert.Equal(Path.Combine(npm, "claude.cmd"), CommandResolver.Resolve("claude", lookup));
        Assert.True(CommandResolver.IsBatchFile(CommandResolver.Resolve("claude", lookup)!));
    }

    [Fact]
    public void PATHEXT_order_and_PATH_order_decide_and_a_named_extension_is_taken_as_given()
    {
        var first = Bin("first", "tool.cmd");
        var second = Bin("second", "tool.exe", "claude.exe");
        var lookup = new CommandResolver.Lookup(true, $"{first};{second}", ".EXE;.CMD");

        Assert.Equal(Path.Combine(first, "tool.cmd"), CommandResolver.Resolve("tool", lookup));
        Assert.Equal(Path.Combine(second, "tool.exe"), CommandResolver.Resolve("tool.exe", lookup));
        Assert.Equal(Path.Combine(second, "claude.exe"), CommandResolver.Resolve("claude", lookup with { PathExt = null }));
        Assert.Null(CommandResolver.Resolve("missing", lookup));
        Assert.Null(CommandResolver.Resolve("tool.ps1", lookup));
    }

    [Fact]
    public void A_path_with_a_folder_is_tried_with_each_extension_on_Windows_and_as_given_elsewhere()
    {
        var folder = Bin("tools", "claude.cmd", "plain");
        var windows = new CommandResolver.Lookup(true, "", null);
        var linux = new CommandResolver.Lookup(false, "", null);

        Assert.Equal(Path.Combine(folder, "claude.cmd"), CommandResolver.Resolve(Path.Combine(folder, "claude"), windows));
        Assert.Null(CommandResolver.Resolve(Path.Combine(folder, "plain"), windows));
        Assert.Equal(Path.Combine(folder, "plain"), CommandResolver.Resolve(Path.Combine(folder, "plain"), linux));
        Assert.Null(CommandResolver.Resolve(Path.Combine(folder, "claude"), linux));
    }

    [Fact]
    public void Linux_lookup_takes_the_bare_name_and_never_a_cmd()
    {
        var npm = Bin("npm2", "claude.cmd");
        var both = Bin("npm3", "claude", "claude.cmd");
        Assert.Null(CommandResolver.Resolve("claude", new CommandResolver.Lookup(false, npm, ".CMD")));
        Assert.Equal(Path.Combine(both, "claude"), CommandResolver.Resolve("claude", new CommandResolver.Lookup(false, $"{npm}:{both}", ".CMD")));
    }
}

public sealed class BatchFileLaunchTests
{
    [Fact]
    public void Every_argument_is_quoted_inside_one_quoted_cmd_line()
    {
        var (file, line) = BatchFileLaunch.Build(@"C:\Windows\System32\cmd.exe", @"C:\Users\ana\AppData\Roaming\npm\claude.cmd",
            new[] { "--print", "--model", "a b&c|d<e>f^g!h", "" });

        Assert.Equal(@"C:\Windows\System32\cmd.exe", file);
        Assert.Equal(@"/d /s /v:off /c """"C:\Users\ana\AppData\Roaming\npm\claude.cmd"" ""--print"" ""--model"" ""a b&c|d<e>f^g!h"" """"""", line);
    }

    [Fact]
    public void Backslashes_before_a_closing_quote_are_doubled_and_others_kept()
    {
        var (_, line) = BatchFileLaunch.Build("cmd.exe", @"C:\npm\claude.cmd", new[] { @"--add-dir", @"C:\work\", @"a\b" });
        Assert.EndsWith(@" ""--add-dir"" ""C:\work\\"" ""a\b""""", line);
    }

    [Theory]
    [InlineData("say \"hi\"", "double quote")]
    [InlineData("%PATH%", "percent sign")]
    [InlineData("two\nlines", "line break")]
    [InlineData("cr\rhere", "line break")]
    [InlineData("nul\0", "NUL")]
    public void An_argument_no_quoting_makes_safe_is_refused_naming_it(string argument, string what)
    {
        var ex = Assert.Throws<AiStartException>(() => BatchFileLaunch.Build("cmd.exe", @"C:\npm\claude.cmd", new[] { "--print", argument }));
        Assert.Contains("Argument 2", ex.Message);
        Assert.Contains(what, ex.Message);
        Assert.Contains("PW_AI_ARGS", ex.Message);
    }

    [Fact]
    public void A_batch_file_whose_path_holds_a_percent_sign_is_refused()
    {
        var ex = Assert.Throws<AiStartException>(() => BatchFileLaunch.Build("cmd.exe", @"C:\100%\claude.cmd", Array.Empty<string>()));
        Assert.Contains("PW_AI_BIN", ex.Message);
    }
}

public sealed class SnapshotNamesTests
{
    [Theory]
    [InlineData("aux.c")]
    [InlineData("AUX")]
    [InlineData("con")]
    [InlineData("nul.txt")]
    [InlineData("nul.tar.gz")]
    [InlineData("com1")]
    [InlineData("COM\u00b9.txt")]
    [InlineData("lpt3.x")]
    [InlineData("conin$")]
    [InlineData("nul .txt")]
    [InlineData("a:b")]
    [InlineData("a<b")]
    [InlineData("a>b")]
    [InlineData("a\"b")]
    [InlineData("a|b")]
    [InlineData("a?b")]
    [InlineData("a*b")]
    [InlineData("a\\b")]
    [InlineData("a\u001fb")]
    [InlineData("dot.")]
    [InlineData("space ")]
    public void Names_Windows_cannot_create_are_named(string name)
    {
        Assert.NotNull(SnapshotNames.WindowsProblem(name));
        var problems = SnapshotNames.Check(new[] { "ok.txt", "dir/" + name, "dir/" + name + "x/inner" }, NamePlatform.Windows);
        Assert.Contains(problems, p => p.Path == "dir/" + name);
        Assert.DoesNotContain(problems, p => p.Path == "ok.txt");
        Assert.Empty(SnapshotNames.Check(new[] { "dir/" + name }, NamePlatform.Linux));
    }

    [Theory]
    [InlineData("auxiliary.c")]
    [InlineData("console")]
    [InlineData("com10")]
    [InlineData("lpt")]
    [InlineData("x.aux")]
    [InlineData(".gitignore")]
    [InlineData("a b")]
    [InlineData("caf\u00e9")]
    public void Names_Windows_can_create_pass(string name) => Assert.Null(SnapshotNames.WindowsProblem(name));

    [Fact]
    public void Names_differing_only_in_case_are_one_name_on_Windows_and_macOS_files_and_folders_alike()
    {
        var paths = new[] { "README.md", "Readme.md", "src/a.c", "SRC/b.c", "lib/x", "lib/y" };
        foreach (var platform in new[] { NamePlatform.Windows, NamePlatform.MacOS })
        {
            var problems = SnapshotNames.Check(paths, platform);
            Assert.Equal(new[] { "Readme.md", "SRC" }, problems.Select(p => p.Path));
            Assert.Contains("'README.md'", problems[0].Why);
        }
        Assert.Empty(SnapshotNames.Check(paths, NamePlatform.Linux));
    }
}

public sealed class NameRulesWindowsTests
{
    [Theory]
    [InlineData("app.", "ends with '.'")]
    [InlineData("my.app.", "ends with '.'")]
    [InlineData("app ", "ends with a space")]
    public void Trailing_dots_and_spaces_are_refused_with_a_clear_message(string name, string why)
    {
        Assert.Contains(why, NameRules.Check(name, "project name"));
        using var dir = new TempDirectory();
        var ex = Assert.Throws<RegistryException>(() => new UserRegistry(dir.Combine("users.json")).Add(name));
        Assert.Equal(RegistryErrorKind.InvalidName, ex.Kind);
    }

    [Fact]
    public void A_registry_naming_one_user_twice_in_different_case_is_refused_as_corrupt()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("users.json");
        var registry = new UserRegistry(path);
        registry.Add("Ana");
        var text = File.ReadAllText(path);
        var hash = new string('b', 64);
        File.WriteAllText(path, text.Replace("\"users\": [", $"\"users\": [ {{ \"name\": \"ana\", \"tokenSha256\": \"{hash}\", \"createdAt\": \"2026-01-01T00:00:00Z\", \"disabled\": false }},"));

        var ex = Assert.Throws<RegistryException>(() => registry.Load());
        Assert.Equal(RegistryErrorKind.CorruptFile, ex.Kind);
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public async Task Checkout_locks_are_one_lock_for_App_and_app_where_names_ignore_case()
    {
        using var dir = new TempDirectory();
        var windows = new CheckoutLocks(NamePlatform.Windows);
        var linux = new CheckoutLocks(NamePlatform.Linux);
        using var held = await windows.AcquireAsync(dir.Combine("ana", "App"), CancellationToken.None);
        using var heldLinux = await linux.AcquireAsync(dir.Combine("ana", "App"), CancellationToken.None);

        Assert.True(windows.IsHeld(dir.Combine("ana", "app")));
        Assert.False(linux.IsHeld(dir.Combine("ana", "app")));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => windows.AcquireAsync(dir.Combine("ana", "APP"), timeout.Token));
    }
}

public sealed class JobObjectLayoutTests
{
    [Fact]
    public void The_job_object_structures_have_the_sizes_of_the_Windows_SDK_on_64_bit()
    {
        Assert.Equal(8, IntPtr.Size);
        // winnt.h on x64: JOBOBJECT_BASIC_LIMIT_INFORMATION 64, IO_COUNTERS 48, JOBOBJECT_EXTENDED_LIMIT_INFORMATION 144,
        // JOBOBJECT_BASIC_ACCOUNTING_INFORMATION 48; a wrong field makes SetInformationJobObject fail with a bad length.
        Assert.Equal(64, Marshal.SizeOf<WindowsJobObject.JobObjectBasicLimitInformation>());
        Assert.Equal(48, Marshal.SizeOf<WindowsJobObject.IoCounters>());
        Assert.Equal(144, Marshal.SizeOf<WindowsJobObject.JobObjectExtendedLimitInformation>());
        Assert.Equal(48, Marshal.SizeOf<WindowsJobObject.JobObjectBasicAccountingInformation>());
        Assert.Equal(16, Marshal.OffsetOf<WindowsJobObject.JobObjectBasicLimitInformation>(nameof(WindowsJobObject.JobObjectBasicLimitInformation.LimitFlags)).ToInt32());
        Assert.Equal(64, Marshal.OffsetOf<WindowsJobObject.JobObjectExtendedLimitInformation>(nameof(WindowsJobObject.JobObjectExtendedLimitInformation.IoInfo)).ToInt32());
        Assert.Equal(40, Marshal.OffsetOf<WindowsJobObject.JobObjectBasicAccountingInformation>(nameof(WindowsJobObject.JobObjectBasicAccountingInformation.ActiveProcesses)).ToInt32());
    }

    [Fact]
    public void A_runs_job_is_named_after_its_journal_id_and_on_Linux_the_tree_is_a_setsid_session()
    {
        Assert.Equal("Patchwire-20261126-abc", RunProcessTree.JobName("20261126-abc"));
        using var tree = RunProcessTree.Create("20261126-abc");
        Assert.Equal(ProcessGroup.Launcher is null ? Array.Empty<string>() : new[] { ProcessGroup.Launcher }, tree.Prefix);
    }
}
