using System.Net;
using System.Net.Http.Headers;
using Patchwire.Core.IO;
using Patchwire.Tests.ChatTurns;

namespace Patchwire.Tests.Identity;

/// <summary>The agent's state is its owner's only (umask 077, folders 0700, files 0600), whoever created it first.</summary>
public sealed class StatePermissionsTests
{
    private const int Folder = 0x1C0; // 0700
    private const int File600 = 0x180;
    private const UnixFileMode WorldReadableFolder = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode WorldReadableFile = (UnixFileMode)0x1A4; // 0644

    [Fact]
    public async Task State_left_world_readable_is_narrowed_at_start_and_everything_the_agent_writes_is_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // mode bits exist on Unix only
        await using var bed = await ChatTestBed.StartAsync();
        var repo = bed.CreateCheckout("ana");
        using (var client = bed.Client("ana"))
            await using (var first = await ChatStream.TurnAsync(client, Guid.NewGuid().ToString(), "say: hi"))
                Assert.Equal("chat_done", ChatStream.Type(first.Last));

        // As an older agent, an admin's shell (umask 022) or an AI without a sandbox would have left them.
        await bed.Agent.StopAsync();
        var users = Path.Combine(bed.Home, "users.json");
        var projects = bed.Agent.ProjectsRoot;
        var folders = new[] { bed.Home, projects, Path.Combine(projects, "ana"), repo.Path, Path.Combine(bed.Home, "agent-state") };
        var files = new[] { users, bed.AuditLog, bed.StoreFile };
        foreach (var folder in folders) File.SetUnixFileMode(folder, WorldReadableFolder);
        foreach (var file in files) File.SetUnixFileMode(file, WorldReadableFile);
        await bed.RestartAsync();

        foreach (var folder in folders) Assert.True(Folder == OwnerOnly.GetUnixMode(folder), $"{folder} should be 0700");
        foreach (var file in files) Assert.True(File600 == OwnerOnly.GetUnixMode(file), $"{file} should be 0600");

        // The audit log deleted and made again 0644 by someone else: the agent's next line leaves it 0600.
        File.Delete(bed.AuditLog);
        File.WriteAllText(bed.AuditLog, "");
        File.SetUnixFileMode(bed.AuditLog, WorldReadableFile);
        using var ana = bed.Client("ana");
        var go = Path.Combine(bed.Scratch, "go");
        await using (var turn = await ChatStream.OpenAsync(ana, Guid.NewGuid().ToString(), $"write: made-by-ai.txt x\nsay: waiting\nwait-for: {go}"))
        {
            await turn.UntilAsync("chat_text", "waiting");
            // Mid-run: the journal entry and the run's private index (written by git) exist, owner-only; so does what the AI wrote.
            var runs = Directory.GetFiles(Path.Combine(bed.Home, "agent-state", "runs"));
            Assert.Contains(runs, f => f.EndsWith(".json", StringComparison.Ordinal));
            Assert.All(runs, f => Assert.True(File600 == OwnerOnly.GetUnixMode(f), $"{f} should be 0600"));
            Assert.Equal(Folder, OwnerOnly.GetUnixMode(Path.Combine(bed.Home, "agent-state", "runs")));
            Assert.Equal(File600, OwnerOnly.GetUnixMode(Path.Combine(repo.Path, "made-by-ai.txt")));
            File.WriteAllText(go, "");
            await turn.ReadAllAsync();
            Assert.Equal("chat_done", ChatStream.Type(turn.Last));
        }
        Assert.Single(bed.AuditLines());
        Assert.Equal(File600, OwnerOnly.GetUnixMode(bed.AuditLog));
        Assert.Equal(File600, OwnerOnly.GetUnixMode(bed.StoreFile));
        Assert.Equal(File600, OwnerOnly.GetUnixMode(users));

        // A first sync by a new user: their folder and the checkout are made 0700, the checked-out files 0600.
        var source = GitRepo.Init(Path.Combine(bed.Scratch, "ben-src"));
        source.Git("update-ref", "refs/patchwire/snapshots/web", "HEAD");
        var bundle = Path.Combine(bed.Scratch, "web.bundle");
        source.Git("bundle", "create", "-q", bundle, "refs/patchwire/snapshots/web");
        using (var ben = bed.Client("ben"))
        {
            var content = new ByteArrayContent(File.ReadAllBytes(bundle));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var response = await ben.PostAsync("/sync/web", content);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(Folder, OwnerOnly.GetUnixMode(Path.Combine(projects, "ben")));
        Assert.Equal(Folder, OwnerOnly.GetUnixMode(Path.Combine(projects, "ben", "web")));
        Assert.Equal(File600, OwnerOnly.GetUnixMode(Path.Combine(projects, "ben", "web", "README.md")));
    }
}
