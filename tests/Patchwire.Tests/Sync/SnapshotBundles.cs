using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Patchwire.Tests.Sync;

/// <summary>Hand-built snapshot commits and bundles posted straight to an agent, as a client (or an attacker holding a
/// valid token) would: the trees can be shaped as no working tree could, to reach the agent's bounds cheaply.</summary>
public sealed class SnapshotBundles(GitRepo repo, string work)
{
    public GitRepo Repo { get; } = repo;

    public static SnapshotBundles Create(string work)
    {
        var repo = GitRepo.Init(Path.Combine(work, "src-" + Guid.NewGuid().ToString("N")[..8]), withCommit: false);
        return new SnapshotBundles(repo, work);
    }

    public string Blob(byte[] content)
    {
        var file = Path.Combine(work, "blob-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(file, content);
        try { return Repo.Git("hash-object", "-w", file).Trim(); }
        finally { File.Delete(file); }
    }

    public string Blob(string content) => Blob(Encoding.UTF8.GetBytes(content));

    /// <summary>A tree from (mode, name, id) entries, through git mktree (names must be unique).</summary>
    public string Tree(IEnumerable<(string Mode, string Name, string Id)> entries)
    {
        var text = string.Concat(entries.Select(e => $"{e.Mode} {(e.Mode == "040000" ? "tree" : "blob")} {e.Id}\t{e.Name}\n"));
        return ProcessRunner.Run("git", new[] { "mktree" }, Repo.Path, stdin: text).EnsureSuccess("git mktree").Stdout.Trim();
    }

    public string Commit(string tree, string? parent, string project)
    {
        var args = new List<string> { "commit-tree", tree, "-m", "snapshot" };
        if (parent is not null) { args.Add("-p"); args.Add(parent); }
        var commit = Repo.Git(args.ToArray()).Trim();
        Repo.Git("update-ref", "refs/patchwire/snapshots/" + project, commit);
        return commit;
    }

    /// <summary>A bundle of the project's snapshot ref, incremental on <paramref name="basis"/> when given.</summary>
    public byte[] Bundle(string project, string? basis = null)
    {
        var file = Path.Combine(work, "b-" + Guid.NewGuid().ToString("N") + ".bundle");
        var args = new List<string> { "bundle", "create", "-q", file, "refs/patchwire/snapshots/" + project };
        if (basis is not null) args.Add("^" + basis);
        Repo.Git(args.ToArray());
        try { return File.ReadAllBytes(file); }
        finally { File.Delete(file); }
    }

    public static async Task<HttpResponseMessage> PostAsync(AgentProcess agent, string token, string project, byte[] body)
    {
        using var client = agent.Client(token);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await client.PostAsync("/sync/" + project, content);
    }

    public static async Task<string?> BaselineAsync(AgentProcess agent, string token, string project)
    {
        using var client = agent.Client(token);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/sync/" + project));
        var b = doc.RootElement.GetProperty("baseline");
        return b.ValueKind == JsonValueKind.String ? b.GetString() : null;
    }

    /// <summary>The JSON body of a response that must have the given status.</summary>
    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
