using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.Tests.Laptop;

namespace Patchwire.Tests.Policy;

[Collection(PowerShellCollection.Name)]
public sealed class PolicyLaptopTests
{
    [Fact]
    public async Task A_policy_refusal_reaches_the_developer_as_upstreams_message_not_as_user_disabled()
    {
        await using var bed = await LaptopTestBed.StartAsync("touch \"$NOTES/ran\"");
        var token = bed.Agent.AddUser("ana");
        bed.Agent.Registry.SetPolicy("ana", p => { p.Projects = new List<string> { "docs" }; return p; });
        var project = bed.CreateProject("team-app");
        using var session = bed.Session(token);

        var (output, errors) = session.Run($"Set-Location '{project.Path}'; Invoke-PatchwireAsk 'make it shine'");
        Assert.Empty(output);
        var error = Assert.Single(errors);
        Assert.Contains("project 'team-app' is not in your allowed list", error.Exception.Message);
        Assert.DoesNotContain("disabled", error.Exception.Message);
        Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
        Assert.Contains("PolicyRefused", error.FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(bed.Notes, "ran")));
    }
}
