using Patchwire.PowerShell.Doctor;

namespace Patchwire.Tests.Laptop;

[Collection(PowerShellCollection.Name)]
public sealed class DoctorTests
{
    private static Dictionary<string, PatchwireCheck> Checks(PowerShellSession session, string folder) =>
        session.Invoke($"Test-PatchwireConnection -Path '{folder}'").Select(o => (PatchwireCheck)o.BaseObject).ToDictionary(c => c.Check);

    [Fact]
    public async Task Test_PatchwireConnection_returns_one_object_per_check()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var ana = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        var plain = Path.Combine(bed.Temp, "plain-folder");
        Directory.CreateDirectory(plain);
        using var session = bed.Session(ana);

        var checks = Checks(session, project.Path);
        Assert.Equal(new[] { "git", "configuration", "agent", "token", "project" }, checks.Keys);
        Assert.All(checks.Values, c => Assert.True(c.Passed, c.ToString()));
        Assert.True((bool)Assert.Single(session.Invoke($"Test-PatchwireConnection -Path '{project.Path}' -Quiet")).BaseObject);

        // A plain folder syncs through a private repository.
        Assert.True(Checks(session, plain)["project"].Passed);

        // An invalid patchwire.yml fails the configuration and says why the rest was not checked.
        project.Write("patchwire.yml", "project: [oops\n");
        checks = Checks(session, project.Path);
        Assert.True(checks["git"].Passed);
        Assert.False(checks["configuration"].Passed);
        Assert.Contains("patchwire.yml, line", checks["configuration"].Message);
        Assert.Equal("not checked: fix the configuration first", checks["agent"].Message);
        Assert.False((bool)Assert.Single(session.Invoke($"Test-PatchwireConnection -Path '{project.Path}' -Quiet")).BaseObject);

        // A folder that does not exist fails the configuration check, not the git one.
        checks = Checks(session, Path.Combine(bed.Temp, "no-such-folder"));
        Assert.True(checks["git"].Passed, checks["git"].ToString());
        Assert.False(checks["configuration"].Passed);
        Assert.Contains("does not exist", checks["configuration"].Message);
    }

    [Fact]
    public async Task A_disabled_user_fails_the_token_check_with_what_to_do()
    {
        await using var bed = await LaptopTestBed.StartAsync("true");
        var ana = bed.Agent.AddUser("ana");
        bed.Agent.Registry.SetDisabled("ana", true);
        var project = bed.CreateProject();
        using var session = bed.Session(ana);

        var token = Checks(session, project.Path)["token"];
        Assert.False(token.Passed);
        Assert.Contains("403", token.Message);
        Assert.Contains("Enable-PatchwireUser", token.Message);
    }
}
