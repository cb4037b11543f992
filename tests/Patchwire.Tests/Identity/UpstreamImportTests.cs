using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Patchwire.Core.Identity;
using Patchwire.Core.IO;

namespace Patchwire.Tests.Identity;

/// <summary>Upstream Patchwire 0.2/0.3's users.json, written here from its documented schema, imported on start (issue 12, item 1).</summary>
public sealed class UpstreamImportTests
{
    /// <summary>Upstream tokens are 64 bare hex characters; upstream stores SHA-256 hex of the token text.</summary>
    private static string UpstreamToken() => Tokens.ToHex(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private sealed record Upstream(string Json, string Ana, string Bob, string Carol);

    private static Upstream WriteUpstream(string path)
    {
        var (ana, bob, carol) = (UpstreamToken(), UpstreamToken(), UpstreamToken());
        var doc = new JsonObject
        {
            ["__admin__"] = new JsonObject { ["tokenHash"] = Tokens.Hash(UpstreamToken()), ["createdAt"] = "2025-01-02T03:04:05.000Z" },
            ["ana"] = new JsonObject
            {
                ["tokenHash"] = Tokens.Hash(ana), ["createdAt"] = "2025-03-01T10:00:00.000Z", ["disabled"] = false,
                ["lastSeen"] = "2025-06-01T12:30:00.000Z", ["policy"] = new JsonObject(),
                ["favouriteColour"] = "teal", ["notes"] = new JsonObject { ["team"] = "core" }, // fields we do not know
            },
            ["bob"] = new JsonObject { ["tokenHash"] = Tokens.Hash(bob), ["createdAt"] = 1735689600000, ["disabled"] = true, ["lastSeen"] = null },
            ["carol"] = new JsonObject
            {
                ["tokenHash"] = Tokens.Hash(carol).ToUpperInvariant(), ["createdAt"] = "2025-04-01T00:00:00Z", ["disabled"] = false, ["lastSeen"] = null,
                ["policy"] = new JsonObject
                {
                    ["projects"] = new JsonArray("team-*", "docs"),
                    ["rateLimit"] = new JsonObject { ["max"] = 20, ["windowSec"] = 3600 },
                },
            },
            ["has space"] = new JsonObject { ["tokenHash"] = Tokens.Hash(UpstreamToken()), ["createdAt"] = "2025-01-01T00:00:00Z" },
            ["nohash"] = new JsonObject { ["createdAt"] = "2025-01-01T00:00:00Z", ["disabled"] = false },
        };
        var json = doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(path, json);
        return new Upstream(json, ana, bob, carol);
    }

    [Fact]
    public async Task An_upstream_registry_is_imported_on_start_and_every_token_keeps_working()
    {
        using var home = new TempDirectory();
        var path = home.Combine("users.json");
        var upstream = WriteUpstream(path);

        await using var agent = await AgentProcess.StartAsync(home.Path);
        var output = agent.Output.ToList();
        Assert.Single(output, l => l.Contains("imported 3 user(s)") && l.Contains(path));
        Assert.Contains(output, l => l.Contains("skipped '__admin__'"));
        Assert.Contains(output, l => l.Contains("skipped user 'has space'"));
        Assert.Contains(output, l => l.Contains("skipped user 'nohash'") && l.Contains("tokenHash"));
        Assert.DoesNotContain(output, l => l.Contains(upstream.Ana) || l.Contains(Tokens.Hash(upstream.Ana)));

        // The original is kept byte for byte, owner-only; users.json is now ours.
        Assert.Equal(upstream.Json, File.ReadAllText(path + ".upstream"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(0x180, OwnerOnly.GetUnixMode(path + ".upstream"));
            Assert.Equal(0x180, OwnerOnly.GetUnixMode(path));
        }
        var users = agent.Registry.Load().ToDictionary(u => u.Name);
        Assert.Equal(new[] { "ana", "bob", "carol" }, users.Keys.OrderBy(k => k));
        Assert.Equal(DateTimeOffset.Parse("2025-03-01T10:00:00Z"), users["ana"].CreatedAt);
        Assert.Equal(DateTimeOffset.Parse("2025-06-01T12:30:00Z"), users["ana"].LastSeen);
        Assert.Null(users["ana"].Policy);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1735689600000), users["bob"].CreatedAt);
        Assert.True(users["bob"].Disabled);
        Assert.Equal(new[] { "team-*", "docs" }, users["carol"].Policy!.Projects);
        Assert.Equal(20, users["carol"].Policy!.RateLimit!.Max);
        Assert.Equal(3600, users["carol"].Policy!.RateLimit!.WindowSec);

        // Bare 64-hex upstream tokens authenticate, and so does a pw_ token made after the import.
        using (var ana = agent.Client(upstream.Ana))
            Assert.Equal("ana", JsonDocument.Parse(await ana.GetStringAsync("/me")).RootElement.GetProperty("user").GetString());
        using (var carol = agent.Client(upstream.Carol))
            Assert.Equal("carol", JsonDocument.Parse(await carol.GetStringAsync("/me")).RootElement.GetProperty("user").GetString());
        using (var bob = agent.Client(upstream.Bob))
            Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/me")).StatusCode);
        var dan = agent.AddUser("dan");
        Assert.StartsWith("pw_", dan);
        using (var client = agent.Client(dan))
            Assert.Equal("dan", JsonDocument.Parse(await client.GetStringAsync("/me")).RootElement.GetProperty("user").GetString());
    }

    [Fact]
    public async Task A_second_start_imports_nothing_and_leaves_the_kept_copy_alone()
    {
        using var home = new TempDirectory();
        var path = home.Combine("users.json");
        var upstream = WriteUpstream(path);
        await using (var first = await AgentProcess.StartAsync(home.Path))
            await first.StopAsync();
        File.SetLastWriteTimeUtc(path + ".upstream", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        await using var second = await AgentProcess.StartAsync(home.Path);
        Assert.DoesNotContain(second.Output, l => l.Contains("imported") || l.Contains("upstream registry"));
        Assert.Equal(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(path + ".upstream"));
        using var ana = second.Client(upstream.Ana);
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync("/me")).StatusCode);
    }

    [Fact]
    public async Task Two_agents_starting_on_one_upstream_registry_at_once_import_it_once_and_both_serve_its_tokens()
    {
        using var home = new TempDirectory();
        var path = home.Combine("users.json");
        var upstream = WriteUpstream(path);
        var env = new Dictionary<string, string?> { ["PW_LAST_SEEN_FLUSH_SEC"] = "3600" };
        var starts = await Task.WhenAll(AgentProcess.StartAsync(home.Path, env), AgentProcess.StartAsync(home.Path, env));
        await using var a = starts[0];
        await using var b = starts[1];
        var importLines = a.Output.Concat(b.Output).Count(l => l.Contains("imported 3 user(s)"));
        Assert.Equal(1, importLines);
        Assert.Equal(upstream.Json, File.ReadAllText(path + ".upstream"));
        Assert.Equal(3, new UserRegistry(path).Load().Count);
        foreach (var agent in starts)
        {
            using var client = agent.Client(upstream.Ana);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/me")).StatusCode);
        }
    }

    public static TheoryData<string> NeitherFormat => new()
    {
        "[]",
        "{\"ana\": \"not an object\"}",
        "{\"version\": 1, \"users\": \"not a list\"}",
        "{\"ana\": {\"tokenHash\": \"x\"}, \"count\": 3}",
        "42",
    };

    [Theory]
    [MemberData(nameof(NeitherFormat))]
    public async Task A_registry_in_neither_format_stops_the_start_naming_the_file_and_is_never_overwritten(string text)
    {
        using var home = new TempDirectory();
        var path = home.Combine("users.json");
        File.WriteAllText(path, text);
        var (exit, output) = await AgentProcess.RunToExitAsync(home.Path);
        Assert.NotEqual(0, exit);
        Assert.Contains(path, output);
        Assert.DoesNotContain("listening", output);
        Assert.Equal(text, File.ReadAllText(path));
        Assert.False(File.Exists(path + ".upstream"));
    }

    [Fact]
    public void The_admin_cmdlets_refuse_an_unimported_upstream_registry_and_say_how_to_import_it()
    {
        using var home = new TempDirectory();
        var path = home.Combine("users.json");
        var upstream = WriteUpstream(path);
        var registry = new UserRegistry(path);
        var ex = Assert.Throws<RegistryException>(() => registry.Add("erin"));
        Assert.Equal(RegistryErrorKind.CorruptFile, ex.Kind);
        Assert.Contains("upstream", ex.Message);
        Assert.Contains("Start the agent", ex.Message);
        Assert.Equal(upstream.Json, File.ReadAllText(path));
    }

    [Fact]
    public void An_empty_upstream_registry_imports_zero_users_and_an_unreadable_policy_part_is_dropped_with_a_note()
    {
        using var home = new TempDirectory();
        var registry = new UserRegistry(home.Combine("users.json"));
        File.WriteAllText(registry.Path, "{}");
        var empty = registry.ImportUpstreamIfPresent();
        Assert.Equal(0, empty!.Imported);
        Assert.Empty(registry.Load());
        Assert.Null(registry.ImportUpstreamIfPresent()); // already ours

        var token = UpstreamToken();
        File.WriteAllText(registry.Path, $$"""
            {"eve": {"tokenHash": "{{Tokens.Hash(token)}}", "createdAt": "2025-01-01T00:00:00Z",
                     "policy": {"projects": ["ok", "../etc"], "rateLimit": {"max": -1, "windowSec": 60} } },
             "fay": {"tokenHash": "{{Tokens.Hash(token)}}"},
             "gus": {"tokenHash": "abc"},
             "hal": {"tokenHash": "{{Tokens.Hash(UpstreamToken())}}", "policy": {"rateLimit": {"max": 5, "window": "15m"} } } }
            """);
        var import = registry.ImportUpstreamIfPresent()!;
        Assert.Equal(2, import.Imported);
        Assert.Contains(import.Notes, n => n.Contains("'eve'") && n.Contains("allowlist") && n.Contains("../etc"));
        Assert.Contains(import.Notes, n => n.Contains("'eve'") && n.Contains("rate limit"));
        Assert.Contains(import.Notes, n => n.Contains("'fay'") && n.Contains("shares its token"));
        Assert.Contains(import.Notes, n => n.Contains("'gus'") && n.Contains("not a SHA-256"));
        var users = registry.Load().ToDictionary(u => u.Name);
        Assert.Null(users["eve"].Policy);
        Assert.Equal(900, users["hal"].Policy!.RateLimit!.WindowSec);
    }
}
