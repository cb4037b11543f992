using Patchwire.Agent.Git;

namespace Patchwire.Tests.Runs;

/// <summary>The agent's own reading and writing of .git/config, checked against what the real git reads.</summary>
public sealed class GitConfigTextTests
{
    private const string Hostile = """
        [core]
        	repositoryformatversion = 0
        	filemode = true
        	bare = true
        	fsmonitor = "touch /tmp/x"
        	hooksPath = /tmp/hooks
        	worktree = /elsewhere
        	pager = less ; a comment
        [include]
        	path = /tmp/evil.config
        [includeIf "gitdir:/"]
        	path = /tmp/evil.config
        [filter "lfs"]
        	clean = git-lfs clean -- %f
        	required
        [Remote "origin"]
        	URL = "https://example.invalid/a \"quoted\" \\ path" # trailing comment
        	fetch = +refs/heads/*:refs/remotes/origin/*
        [branch.Main]
        	remote = origin
        [branch "main"]
        	merge = refs/heads/main
        [user]
        	name = Ana   Example\
         Continued
        	email = ana@example.invalid
        [extensions]
        	objectFormat = sha1
        """;

    [Fact]
    public void The_canonical_config_keeps_what_a_repository_needs_and_drops_everything_that_names_a_command_or_another_place()
    {
        var canonical = GitConfigText.Canonical(Hostile);
        var read = ReadWithGit(canonical);

        Assert.Equal(new[]
        {
            "core.repositoryformatversion=0",
            "core.bare=false",
            "core.filemode=true",
            "remote.origin.url=https://example.invalid/a \"quoted\" \\ path",
            "remote.origin.fetch=+refs/heads/*:refs/remotes/origin/*",
            "branch.main.remote=origin",
            "branch.main.merge=refs/heads/main",
            "user.name=Ana   Example Continued",
            "user.email=ana@example.invalid",
            "extensions.objectformat=sha1",
        }, read);
    }

    [Fact]
    public void Values_that_try_to_break_out_of_their_quotes_stay_values()
    {
        var entries = new[]
        {
            new GitConfigEntry("user", null, "name", "x\"\n[core]\n\tfsmonitor = touch /tmp/y\n"),
            new GitConfigEntry("remote", "o\"] [core", "url", "u\\\\\"; fsmonitor=z"),
        };
        var read = ReadWithGit(GitConfigText.Write(entries));
        Assert.DoesNotContain(read, l => l.StartsWith("core.", StringComparison.Ordinal));
        Assert.Equal(GitConfigText.Parse(GitConfigText.Write(entries)), entries);
    }

    [Theory]
    [InlineData("[core\n\tbare = false\n")]
    [InlineData("key = value\n")]
    [InlineData("[core]\n\tname = \"unterminated\n")]
    [InlineData("[core]\n\t=value\n")]
    public void A_config_git_would_refuse_is_not_read_and_the_canonical_one_is_the_minimal_config(string broken)
    {
        Assert.Null(GitConfigText.Parse(broken));
        Assert.Equal(new[] { "core.repositoryformatversion=0", "core.bare=false" }, ReadWithGit(GitConfigText.Canonical(broken)));
    }

    private static List<string> ReadWithGit(string config)
    {
        using var temp = new TempDirectory("pw-gitcfg");
        var file = temp.Combine("config");
        File.WriteAllText(file, config);
        var result = ProcessRunner.Run("git", new[] { "config", "--file", file, "--no-includes", "--list" }, temp.Path).EnsureSuccess("git config --list");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
