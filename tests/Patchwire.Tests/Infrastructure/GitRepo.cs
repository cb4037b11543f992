namespace Patchwire.Tests.Infrastructure;

/// <summary>A real git repository in a folder, driven through the git CLI.</summary>
public sealed class GitRepo
{
    public GitRepo(string path) => Path = path;

    public string Path { get; }

    public static GitRepo Init(string path, bool withCommit = true)
    {
        Directory.CreateDirectory(path);
        var repo = new GitRepo(path);
        repo.Git("init", "-q", "-b", "main");
        repo.Git("config", "user.email", "test@patchwire.invalid");
        repo.Git("config", "user.name", "Patchwire Test");
        repo.Git("config", "commit.gpgsign", "false");
        if (withCommit)
        {
            repo.Write("README.md", "# sample\n");
            repo.CommitAll("initial");
        }
        return repo;
    }

    public string Git(params string[] args) =>
        ProcessRunner.Run("git", args, Path).EnsureSuccess("git " + string.Join(' ', args)).Stdout;

    public ProcessResult TryGit(params string[] args) => ProcessRunner.Run("git", args, Path);

    public void Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public string Read(string relative) => File.ReadAllText(System.IO.Path.Combine(Path, relative));

    public void CommitAll(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "-m", message);
    }

    public string Head => Git("rev-parse", "HEAD").Trim();
    public string Status => Git("status", "--porcelain", "--untracked-files=all");
}
