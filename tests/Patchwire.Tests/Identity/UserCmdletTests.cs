using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Users;

namespace Patchwire.Tests.Identity;

[Collection(PowerShellCollection.Name)]
public sealed class UserCmdletTests
{
    [Fact]
    public void New_returns_a_typed_user_with_its_token_once_and_Get_never_shows_one()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        var created = (PatchwireUserToken)ps.Invoke("New-PatchwireUser ana").Single().BaseObject;
        Assert.Equal("ana", created.Name);
        Assert.Matches("^pw_[0-9a-f]{64}$", created.Token);
        Assert.False(created.Disabled);
        Assert.Equal(Tokens.Hash(created.Token!), new UserRegistry(Path.Combine(home.Path, "users.json")).Find("ana")!.TokenSha256);

        var listed = ps.Invoke("Get-PatchwireUser").Select(o => (PatchwireUser)o.BaseObject).ToList();
        Assert.Equal("ana", Assert.Single(listed).Name);
        Assert.Null(typeof(PatchwireUser).GetProperty("Token"));
        Assert.Null(listed[0].LastSeen);
    }

    [Fact]
    public void Names_bind_from_the_pipeline_by_property_name()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("'ana','ben','cy' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | New-PatchwireUser | Out-Null");
        ps.Invoke("[pscustomobject]@{ UserName = 'ben' }, [pscustomobject]@{ Name = 'cy' } | Disable-PatchwireUser");
        var disabled = ps.Invoke("Get-PatchwireUser | Where-Object Disabled | ForEach-Object Name").Select(o => o.ToString()).ToList();
        Assert.Equal(new[] { "ben", "cy" }, disabled);

        ps.Invoke("Get-PatchwireUser c* | Enable-PatchwireUser");
        Assert.False(new UserRegistry(Path.Combine(home.Path, "users.json")).Find("cy")!.Disabled);

        var rotated = ps.Invoke("Get-PatchwireUser ana | Reset-PatchwireUserToken -Confirm:$false").Single();
        Assert.Matches("^pw_[0-9a-f]{64}$", (string)rotated.Properties["Token"].Value);

        ps.Invoke("Get-PatchwireUser | Where-Object Disabled | Remove-PatchwireUser -Force");
        Assert.Equal(new[] { "ana", "cy" }, ps.Invoke("Get-PatchwireUser").Select(o => ((PatchwireUser)o.BaseObject).Name));
    }

    [Fact]
    public void WhatIf_changes_nothing_and_Remove_asks_for_high_impact_confirmation()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        ps.Invoke("New-PatchwireUser ana | Out-Null");
        var users = Path.Combine(home.Path, "users.json");
        var before = File.ReadAllBytes(users);
        ps.Invoke("New-PatchwireUser ben -WhatIf; Disable-PatchwireUser ana -WhatIf; Reset-PatchwireUserToken ana -WhatIf; Remove-PatchwireUser ana -WhatIf; Remove-PatchwireUser ana -Force -WhatIf");
        Assert.Equal(before, File.ReadAllBytes(users));

        var remove = ps.Invoke("Get-Command Remove-PatchwireUser").Single().BaseObject as CmdletInfo;
        var attribute = remove!.ImplementingType.GetCustomAttributes(typeof(CmdletAttribute), false).Cast<CmdletAttribute>().Single();
        Assert.Equal(ConfirmImpact.High, attribute.ConfirmImpact);
        Assert.True(attribute.SupportsShouldProcess);
    }

    [Fact]
    public void Bad_input_gives_error_records_with_categories_and_writes_nothing()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        var (_, errors) = ps.Run("New-PatchwireUser '..'; New-PatchwireUser 'a/b'; New-PatchwireUser CON; New-PatchwireUser .claude");
        Assert.Equal(4, errors.Count);
        Assert.All(errors, e => Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category));
        Assert.Contains("'.claude' starts with '.'", errors[3].Exception.Message);
        Assert.False(File.Exists(Path.Combine(home.Path, "users.json")));

        ps.Invoke("New-PatchwireUser ana | Out-Null");
        (_, errors) = ps.Run("New-PatchwireUser ana");
        Assert.Equal(ErrorCategory.ResourceExists, Assert.Single(errors).CategoryInfo.Category);
        (_, errors) = ps.Run("Disable-PatchwireUser zed; Reset-PatchwireUserToken zed -Confirm:$false; Remove-PatchwireUser zed -Force; Get-PatchwireUser zed");
        Assert.Equal(4, errors.Count);
        Assert.All(errors, e => Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category));
        Assert.All(errors, e => Assert.Contains("zed", e.Exception.Message));
    }

    [Fact]
    public void A_corrupt_registry_is_a_terminating_error_naming_the_file()
    {
        using var home = new TempDirectory();
        File.WriteAllText(Path.Combine(home.Path, "users.json"), "[garbage");
        using var ps = new PowerShellSession(home.Path);
        var (output, errors) = ps.Run("Get-PatchwireUser; 'after'");
        var error = Assert.Single(errors);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains("users.json", error.Exception.Message);
        Assert.Equal("after", Assert.Single(output).ToString());
        Assert.Equal("[garbage", File.ReadAllText(Path.Combine(home.Path, "users.json")));
    }

    [Fact]
    public void The_agent_shim_prints_what_the_seed_shows_and_sets_exit_codes()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        var add = ps.Invoke("patchwire-agent user add ana").Select(o => o.ToString()).ToList();
        Assert.Matches("^Token \\(save this, it will not be shown again\\): pw_[0-9a-f]{64}$", Assert.Single(add));
        Assert.Equal(0, ps.GetVariable("LASTEXITCODE"));

        var list = ps.Invoke("patchwire-agent user list").Select(o => o.ToString()!).ToList();
        Assert.StartsWith("NAME", list[0]);
        Assert.Contains("LAST SEEN", list[0]);
        Assert.Matches("^ana +active +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +never$", list[1]);

        ps.Invoke("patchwire-agent user disable ana");
        Assert.Contains("disabled", ps.Invoke("patchwire-agent user list")[1].ToString());
        ps.Invoke("patchwire-agent user enable ana");
        var rotated = ps.Invoke("patchwire-agent user rotate ana").Single().ToString()!;
        Assert.NotEqual(add[0], rotated);
        Assert.Contains("Removed ana", ps.Invoke("patchwire-agent user rm ana").Single().ToString());
        Assert.Empty(new UserRegistry(Path.Combine(home.Path, "users.json")).Load());

        var (_, errors) = ps.Run("patchwire-agent user rm ana");
        Assert.Contains("No user named 'ana'", Assert.Single(errors).Exception.Message);
        Assert.Equal(1, ps.GetVariable("LASTEXITCODE"));
        (_, errors) = ps.Run("patchwire-agent user add 'a/b'");
        Assert.Single(errors);
        Assert.Equal(1, ps.GetVariable("LASTEXITCODE"));
        (_, errors) = ps.Run("patchwire-agent user frobnicate x");
        Assert.Single(errors);
        Assert.Equal(2, ps.GetVariable("LASTEXITCODE"));
        (_, errors) = ps.Run("patchwire-agent user add bob --bogus");
        Assert.Contains("unknown option", Assert.Single(errors).Exception.Message);
        Assert.Null(new UserRegistry(Path.Combine(home.Path, "users.json")).Find("bob"));

        var supplied = "pw_" + new string('c', 64);
        ps.Invoke($"patchwire-agent user add carol --token {supplied}");
        Assert.Equal(Tokens.Hash(supplied), new UserRegistry(Path.Combine(home.Path, "users.json")).Find("carol")!.TokenSha256);
    }

    [Fact]
    public void Every_verb_answers_help()
    {
        using var home = new TempDirectory();
        using var ps = new PowerShellSession(home.Path);
        var checkedVerbs = 0;
        foreach (var tool in new[] { "patchwire", "patchwire-agent" })
        {
            var top = ps.Invoke($"{tool} --help").Select(o => o.ToString()!).ToList();
            Assert.StartsWith($"usage: {tool}", top[0]);
            var verbs = top.Skip(2).Select(l => l.Trim().Split(' ')[0]).ToList();
            foreach (var verb in verbs)
            {
                checkedVerbs++;
                var (output, errors) = ps.Run($"{tool} {verb} --help");
                Assert.Empty(errors);
                Assert.Contains(output, o => o.ToString()!.StartsWith("usage:"));
                Assert.Equal(0, ps.GetVariable("LASTEXITCODE"));
            }
        }
        Assert.True(checkedVerbs >= 2);
    }
}
