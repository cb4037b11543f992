using System.Text.RegularExpressions;
using Patchwire.Core.Identity;
using Patchwire.Core.IO;

namespace Patchwire.Tests.Identity;

public sealed class RegistryTests
{
    public static TheoryData<string> BadNames => new() { "..", ".", ".git", ".claude", ".x", "a/b", "a\\b", "a\0b", "CON", "con.txt", "", new string('a', 65), "has space", "ünï" };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void A_bad_name_is_refused_and_nothing_is_written(string name)
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        var ex = Assert.Throws<RegistryException>(() => registry.Add(name));
        Assert.Equal(RegistryErrorKind.InvalidName, ex.Kind);
        Assert.False(File.Exists(registry.Path));
    }

    [Fact]
    public void A_64_character_name_is_accepted()
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        registry.Add(new string('a', 64));
        Assert.Single(registry.Load());
    }

    [Fact]
    public void Tokens_are_256_random_bits_and_only_their_hash_is_stored_owner_only()
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        var (_, ana) = registry.Add("ana");
        var (_, ben) = registry.Add("ben");
        Assert.Matches(new Regex("^pw_[0-9a-f]{64}$"), ana);
        Assert.NotEqual(ana, ben);
        var text = File.ReadAllText(registry.Path);
        Assert.DoesNotContain(ana, text);
        Assert.DoesNotContain(ana.Substring(3), text);
        Assert.Contains(Tokens.Hash(ana), text);
        if (!OperatingSystem.IsWindows()) Assert.Equal(0x180, OwnerOnly.GetUnixMode(registry.Path));
    }

    [Fact]
    public void Duplicate_and_unknown_users_get_clear_errors_and_change_nothing()
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        registry.Add("ana");
        var before = File.ReadAllBytes(registry.Path);

        var dup = Assert.Throws<RegistryException>(() => registry.Add("ana"));
        Assert.Equal(RegistryErrorKind.AlreadyExists, dup.Kind);
        Assert.Contains("already exists", dup.Message);
        foreach (var action in new Action[] { () => registry.SetDisabled("zed", true), () => registry.Rotate("zed"), () => registry.Remove("zed") })
        {
            var ex = Assert.Throws<RegistryException>(action);
            Assert.Equal(RegistryErrorKind.NotFound, ex.Kind);
            Assert.Contains("'zed'", ex.Message);
        }
        Assert.Equal(before, File.ReadAllBytes(registry.Path));
    }

    [Fact]
    public void Rotation_replaces_the_hash_and_a_supplied_token_is_used_as_given()
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        var (_, first) = registry.Add("ana");
        var (_, second) = registry.Rotate("ana");
        Assert.NotEqual(first, second);
        Assert.Equal(Tokens.Hash(second), registry.Find("ana")!.TokenSha256);

        var supplied = "pw_" + new string('b', 64);
        registry.Rotate("ana", supplied);
        Assert.Equal(Tokens.Hash(supplied), registry.Find("ana")!.TokenSha256);
        var bad = Assert.Throws<RegistryException>(() => registry.Rotate("ana", "short"));
        Assert.Equal(RegistryErrorKind.InvalidToken, bad.Kind);
        Assert.Equal(Tokens.Hash(supplied), registry.Find("ana")!.TokenSha256);
    }

    [Fact]
    public void A_registry_that_is_not_json_is_reported_with_its_path_and_never_overwritten()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("users.json");
        File.WriteAllText(path, "{ \"users\": [ oops");
        var registry = new UserRegistry(path);
        var load = Assert.Throws<RegistryException>(() => registry.Load());
        Assert.Equal(RegistryErrorKind.CorruptFile, load.Kind);
        Assert.Contains(path, load.Message);
        Assert.Throws<RegistryException>(() => registry.Add("ana"));
        Assert.Equal("{ \"users\": [ oops", File.ReadAllText(path));
    }

    [Fact]
    public void Last_seen_merges_keep_the_later_time_and_touch_nothing_else()
    {
        using var dir = new TempDirectory();
        var registry = new UserRegistry(dir.Combine("users.json"));
        registry.Add("ana");
        registry.SetDisabled("ana", true);
        var t1 = DateTimeOffset.Parse("2026-11-01T10:00:00Z");
        var t0 = DateTimeOffset.Parse("2026-10-01T10:00:00Z");
        registry.RecordLastSeen(new Dictionary<string, DateTimeOffset> { ["ana"] = t1, ["ghost"] = t1 });
        registry.RecordLastSeen(new Dictionary<string, DateTimeOffset> { ["ana"] = t0 });
        var ana = registry.Find("ana")!;
        Assert.Equal(t1, ana.LastSeen);
        Assert.True(ana.Disabled);
        Assert.Single(registry.Load());
    }

    [Fact]
    public void Concurrent_writers_in_one_process_lose_no_update()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("users.json");
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => new UserRegistry(path).Add($"user{i}"));
        Assert.Equal(40, new UserRegistry(path).Load().Count);
    }
}
