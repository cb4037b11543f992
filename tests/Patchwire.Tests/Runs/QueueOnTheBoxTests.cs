namespace Patchwire.Tests.Runs;

[Collection(PowerShellCollection.Name)]
public sealed class QueueOnTheBoxTests
{
    [Fact]
    public async Task Without_a_token_on_the_box_the_admin_is_told_to_make_their_own_and_that_works()
    {
        await using var bed = await RunsTestBed.StartAsync("true");
        bed.Token("ben"); // the registry exists: this PW_HOME is the box's
        using var ps = new PowerShellSession(bed.Agent.Home, new Dictionary<string, string?> { ["PW_AGENT_URL"] = bed.Agent.BaseUrl });

        var (_, errors) = ps.Run("Get-PatchwireQueue");
        var message = Assert.Single(errors).ToString();
        Assert.Contains("you are the admin", message);
        Assert.Contains("New-PatchwireUser", message);
        Assert.DoesNotContain("Ask your admin", message);
        var (output, cliErrors) = ps.Run("patchwire queue; $LASTEXITCODE");
        Assert.Equal(1, (int)output[^1].BaseObject);
        Assert.Contains("patchwire-agent user add", Assert.Single(cliErrors).ToString());

        var queue = ps.Invoke($"$me = New-PatchwireUser boxadmin; Set-PatchwireConfiguration -Token $me.Token -AgentUrl {bed.Agent.BaseUrl}; Get-PatchwireQueue").Single();
        Assert.Equal(3, (int)queue.Properties["GlobalCap"].Value);
    }

    [Fact]
    public void Without_a_token_on_a_laptop_the_user_is_told_to_ask_their_admin()
    {
        using var laptop = new TempDirectory("pw-laptop");
        using var ps = new PowerShellSession(laptop.Path, new Dictionary<string, string?> { ["PW_AGENT_URL"] = "http://127.0.0.1:9" });
        var (_, errors) = ps.Run("Get-PatchwireQueue");
        var message = Assert.Single(errors).ToString();
        Assert.Contains("Ask your admin", message);
        Assert.DoesNotContain("New-PatchwireUser", message);
    }
}
