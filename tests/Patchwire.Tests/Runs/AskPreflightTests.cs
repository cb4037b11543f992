using System.Net;
using System.Text;
using System.Text.Json;

namespace Patchwire.Tests.Runs;

/// <summary>Every bad input gets plain HTTP with a JSON error before any stream byte, and touches nothing.</summary>
public sealed class AskPreflightTests
{
    private const string MarkRan = "touch \"$NOTES/ran\"; cat >/dev/null; echo changed >> src/app.txt";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string body, string contentType = "application/json")
    {
        // As curl does for large bodies: wait for the server's go-ahead, so a refusal by size arrives before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.ExpectContinue = body.Length > 1024 * 1024;
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task Malformed_bodies_missing_or_mistyped_fields_and_huge_prompts_are_400_or_413()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan, new Dictionary<string, string?> { ["PW_MAX_BODY_BYTES"] = "12000000" });
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var cases = new (string Body, HttpStatusCode Status, string Error)[]
        {
            ("{\"prompt\": \"hi\", ", HttpStatusCode.BadRequest, "invalid body: malformed JSON"),
            ("", HttpStatusCode.BadRequest, "invalid body: malformed JSON"),
            ("[\"prompt\"]", HttpStatusCode.BadRequest, "invalid body: expected a JSON object"),
            (Json(new { project = "app" }), HttpStatusCode.BadRequest, "invalid body: missing field 'prompt'"),
            (Json(new { prompt = "hi" }), HttpStatusCode.BadRequest, "invalid body: missing field 'project'"),
            (Json(new { prompt = 42, project = "app" }), HttpStatusCode.BadRequest, "invalid body: field 'prompt' must be a string"),
            (Json(new { prompt = "hi", project = new[] { "app" } }), HttpStatusCode.BadRequest, "invalid body: field 'project' must be a string"),
            (Json(new { prompt = "  \n ", project = "app" }), HttpStatusCode.BadRequest, "invalid body: field 'prompt' is empty"),
            (Json(new { prompt = "hi", project = "app", baseline = 7 }), HttpStatusCode.BadRequest, "invalid body: field 'baseline' must be a string"),
            (Json(new { prompt = "hi", project = "app", baseline = "--output=/tmp/x" }), HttpStatusCode.BadRequest, "invalid body: field 'baseline' must be a commit id (hex)"),
            (Json(new { prompt = new string('p', 10 * 1024 * 1024), project = "app" }), HttpStatusCode.RequestEntityTooLarge, "prompt too large"),
        };
        foreach (var (body, status, error) in cases)
        {
            var (actual, json) = await PostAsync(client, body);
            Assert.True(status == actual, $"{body[..Math.Min(body.Length, 60)]}: expected {status}, got {actual} {json}");
            Assert.Equal(error, json.GetProperty("error").GetString());
        }

        // A body over PW_MAX_BODY_BYTES is refused by size before it is parsed.
        var huge = Json(new { prompt = new string('p', 13 * 1000 * 1000), project = "app" });
        var (hugeStatus, hugeJson) = await PostAsync(client, huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugeStatus);
        Assert.Equal("request body too large", hugeJson.GetProperty("error").GetString());

        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task Bad_names_escaping_symlinks_other_users_projects_and_unsuitable_checkouts_are_refused()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var mine = bed.CreateCheckout("ana", "app");
        var theirs = bed.CreateCheckout("ben", "secret");
        var theirsBefore = CheckoutAssert.Fingerprint(theirs.Path);
        Directory.CreateSymbolicLink(bed.CheckoutPath("ana", "sneaky"), theirs.Path);
        Directory.CreateDirectory(bed.CheckoutPath("ana", "plain"));
        GitRepo.Init(bed.CheckoutPath("ana", "empty"), withCommit: false);
        using var client = bed.Client("ana");

        foreach (var name in new[] { "../ben/secret", "..", ".", "a/b", "a\\b", "a\0b", "/etc", "CON", "sneaky", new string('x', 65) })
        {
            var (status, json) = await PostAsync(client, Json(new { prompt = "hi", project = name }));
            Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {status} {json}");
            Assert.Equal("invalid project name", json.GetProperty("error").GetString());
        }

        var (missing, missingJson) = await PostAsync(client, Json(new { prompt = "hi", project = "secret" }));
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("project not found", missingJson.GetProperty("error").GetString());

        foreach (var name in new[] { "plain", "empty" })
        {
            var (status, json) = await PostAsync(client, Json(new { prompt = "hi", project = name }));
            Assert.True(status == HttpStatusCode.PreconditionFailed, $"{name}: {status} {json}");
            Assert.Equal("not a git repository", json.GetProperty("error").GetString());
        }

        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(theirsBefore, theirs.Path);
        Assert.Equal("", mine.Status);
    }

    [Fact]
    public async Task Names_starting_with_a_dot_are_refused_on_every_route_even_when_such_a_checkout_exists()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var hidden = new[] { ".claude", ".x" }.Select(name => bed.CreateCheckout("ana", name)).ToList();
        var before = hidden.Select(repo => CheckoutAssert.Fingerprint(repo.Path)).ToList();
        using var client = bed.Client("ana");

        foreach (var name in new[] { ".git", ".claude", ".x", ".." + "x" })
        {
            var (status, json) = await PostAsync(client, Json(new { prompt = "hi", project = name }));
            Assert.True(status == HttpStatusCode.BadRequest, $"/ask {name}: {status} {json}");
            Assert.Equal("invalid project name", json.GetProperty("error").GetString());
            var responses = new[]
            {
                await client.PostAsync("/chat", new StringContent(Json(new { uuid = Guid.NewGuid().ToString(), prompt = "hi", project = name }), Encoding.UTF8, "application/json")),
                await client.GetAsync("/sync/" + name),
                await client.PostAsync("/sync/" + name, new ByteArrayContent(Encoding.ASCII.GetBytes("# v2 git bundle\n"))),
            };
            foreach (var response in responses)
            {
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.RequestMessage!.RequestUri} {name}: {response.StatusCode} {text}");
                using var body = JsonDocument.Parse(text);
                Assert.Equal("invalid project name", body.RootElement.GetProperty("error").GetString());
                Assert.Contains("starts with '.'", body.RootElement.GetProperty("message").GetString());
                // /chat's error bodies carry upstream's ok/code too.
                if (response.RequestMessage.RequestUri!.AbsolutePath == "/chat")
                {
                    Assert.False(body.RootElement.GetProperty("ok").GetBoolean());
                    Assert.Equal("invalid_project_name", body.RootElement.GetProperty("code").GetString());
                }
            }
        }

        Assert.False(File.Exists(bed.Note("ran")));
        for (var i = 0; i < hidden.Count; i++) CheckoutAssert.SameTree(before[i], hidden[i].Path);
        Assert.False(Directory.Exists(bed.CheckoutPath("ana", ".git")));
    }

    [Fact]
    public async Task A_folder_inside_a_repository_is_not_the_root_of_one()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        bed.Token("ana");
        var userFolder = GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ana"));
        Directory.CreateDirectory(Path.Combine(userFolder.Path, "inner"));
        File.WriteAllText(Path.Combine(userFolder.Path, "inner", "f.txt"), "x");
        using var client = bed.Client("ana");

        var (status, json) = await PostAsync(client, Json(new { prompt = "hi", project = "inner" }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        Assert.Equal("not a git repository", json.GetProperty("error").GetString());
        Assert.False(File.Exists(bed.Note("ran")));
    }

    [Fact]
    public async Task A_dirty_checkout_is_409_with_its_status_and_is_left_as_it_is()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var repo = bed.CreateCheckout("ana", "app");
        repo.Write("src/app.txt", "edited on the box\n");
        repo.Write("untracked.txt", "new\n");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var (status, json) = await PostAsync(client, Json(new { prompt = "hi", project = "app" }));

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("checkout is dirty", json.GetProperty("error").GetString());
        Assert.Contains(" M src/app.txt", json.GetProperty("status").GetString());
        Assert.Contains("?? untracked.txt", json.GetProperty("status").GetString());
        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task Requests_without_a_valid_token_are_401_and_disabled_users_403()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        bed.CreateCheckout("ana", "app");
        using var anonymous = bed.Agent.Client();
        using var wrong = bed.Agent.Client("pw_" + new string('0', 64));
        var body = Json(new { prompt = "hi", project = "app" });

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(anonymous, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(wrong, body)).Status);
        bed.Agent.Registry.SetDisabled("ana", true);
        using var disabled = bed.Client("ana");
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(disabled, body)).Status);
        Assert.False(File.Exists(bed.Note("ran")));
    }

    /// <summary>
    /// In a run folder of its own (the default) the run sees exactly the baseline's tree and the checkout is left alone;
    /// in the checkout (PW_RUN_WORKTREES=off, as chat turns) the checkout is moved to the baseline, ignored files kept.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_baseline_run_starts_from_exactly_that_tree_and_an_unknown_baseline_is_409(bool ownFolder)
    {
        await using var bed = await RunsTestBed.StartAsync("""
            cat >/dev/null
            echo "app: $(cat src/app.txt)"
            ls -A | grep -v '^.git$' | sort | tr '\n' ' '
            echo "ai edit" >> src/app.txt
            """, new Dictionary<string, string?> { ["PW_RUN_WORKTREES"] = ownFolder ? "on" : "off" });
        var repo = bed.CreateCheckout("ana", "app");
        var head = repo.Head;
        // What a sync would leave in the repository: a snapshot commit that HEAD does not point at.
        var tree = repo.Git("rev-parse", "HEAD^{tree}").Trim();
        repo.Write("src/app.txt", "baseline version\n");
        repo.Git("add", "src/app.txt");
        var baselineTree = repo.Git("write-tree").Trim();
        repo.Git("reset", "-q", "--hard");
        var baseline = repo.Git("commit-tree", baselineTree, "-p", repo.Head, "-m", "snapshot").Trim();
        Assert.NotEqual(tree, baselineTree);
        // Leftovers that must not matter: a modified file and a stray one.
        repo.Write("gone.txt", "modified leftover\n");
        repo.Write("stray.txt", "left behind by something\n");
        using var client = bed.Client("ana");

        var (unknownStatus, unknownJson) = await PostAsync(client, Json(new { prompt = "hi", project = "app", baseline = "0123456789abcdef0123456789abcdef01234567" }));
        Assert.Equal(HttpStatusCode.Conflict, unknownStatus);
        Assert.Equal("unknown baseline", unknownJson.GetProperty("error").GetString());
        Assert.Contains("ync", unknownJson.GetProperty("hint").GetString());
        Assert.Equal("modified leftover\n", repo.Read("gone.txt"));

        await using var ask = await AskStream.RunAsync(client, new { prompt = "edit", project = "app", baseline = baseline[..12] });

        var result = ask.Final;
        Assert.Equal("result", result.GetProperty("type").GetString());
        Assert.Equal(baseline, result.GetProperty("baseline").GetString());
        var stdout = result.GetProperty("stdout").GetString()!;
        Assert.Contains("app: baseline version", stdout);
        Assert.DoesNotContain("stray.txt", stdout);
        CheckoutAssert.ApplyToCopy(repo, baseline, result.GetProperty("diff").GetString()!, bed.Temp);
        if (ownFolder)
        {
            Assert.DoesNotContain("build", stdout); // the run folder holds the snapshot only
            Assert.Equal(head, repo.Head);
            Assert.Equal("modified leftover\n", repo.Read("gone.txt"));
            Assert.Equal("left behind by something\n", repo.Read("stray.txt"));
            Assert.Equal("ignored build output\n", repo.Read("build/output.bin"));
            return;
        }
        Assert.Contains("build", stdout); // ignored files stay
        Assert.Equal(baseline, repo.Git("rev-parse", "HEAD").Trim());
        Assert.Equal("", repo.Status);
        Assert.Equal("baseline version\n", repo.Read("src/app.txt"));
        Assert.Equal("ignored build output\n", repo.Read("build/output.bin"));
    }
}
