using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Patchwire.Core.Identity;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Policy;

/// <summary>Per-user policy on /ask, /chat and /sync (issue 12, item 2): checked first after auth, upstream's 403 bodies.</summary>
public sealed class PolicyAgentTests
{
    private const string MarkRan = "touch \"$NOTES/ran\"; cat >/dev/null; echo changed >> src/app.txt";
    private const string Uuid = "3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f";

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static string Ask(string project) => JsonSerializer.Serialize(new { prompt = "hi", project });

    private static void AssertRefused(HttpStatusCode status, string body, string error, string message)
    {
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(2, json.EnumerateObject().Count());
        Assert.Equal(error, json.GetProperty("error").GetString());
        Assert.Equal(message, json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_project_outside_the_allowlist_is_refused_on_ask_chat_and_sync_before_anything_else()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var allowed = bed.CreateCheckout("ana", "team-app");
        var refused = bed.CreateCheckout("ana", "secret");
        var before = CheckoutAssert.Fingerprint(refused.Path);
        bed.Agent.Registry.SetPolicy("ana", p => { p.Projects = new List<string> { "team-*", "docs" }; return p; });
        using var ana = bed.Client("ana");
        const string message = "project 'secret' is not in your allowed list";

        var (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/ask", Ask("secret"));
        AssertRefused(status, body, "project_not_allowed", message);
        Assert.Equal("{\"error\":\"project_not_allowed\",\"message\":\"project 'secret' is not in your allowed list\"}", body); // byte for byte as upstream
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/chat", JsonSerializer.Serialize(new { uuid = Uuid, prompt = "hi", projectName = "secret" }));
        AssertRefused(status, body, "project_not_allowed", message);
        (status, body, _) = await SendAsync(ana, HttpMethod.Get, "/sync/secret");
        AssertRefused(status, body, "project_not_allowed", message);
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/sync/secret", null);
        AssertRefused(status, body, "project_not_allowed", message);
        // Before the checkout lookup (no such checkout would be 404) and before the prompt size check.
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/ask", Ask("nowhere"));
        AssertRefused(status, body, "project_not_allowed", "project 'nowhere' is not in your allowed list");
        // Wildcards match whole names, case-sensitively.
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/ask", Ask("Team-app"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.False(File.Exists(bed.Note("ran")));
        Assert.Equal(before, CheckoutAssert.Fingerprint(refused.Path));

        (status, _, _) = await SendAsync(ana, HttpMethod.Get, "/sync/docs");
        Assert.Equal(HttpStatusCode.OK, status);
        var run = await AskStream.RunAsync(ana, new { prompt = "hi", project = "team-app" });
        Assert.Equal("result", run.Final.GetProperty("type").GetString());
        Assert.True(File.Exists(bed.Note("ran")));

        // A user without a policy may use every project; a body the filter cannot read still gets the endpoint's 400.
        bed.CreateCheckout("ben", "secret");
        using var ben = bed.Client("ben");
        (status, _, _) = await SendAsync(ben, HttpMethod.Get, "/sync/secret");
        Assert.Equal(HttpStatusCode.OK, status);
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/ask", "{\"prompt\": ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("malformed JSON", body);
    }

    [Fact]
    public async Task The_rate_limit_refuses_the_request_past_max_and_policy_changes_apply_to_the_next_request()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        bed.Token("ana");
        bed.Agent.Registry.SetPolicy("ana", p => { p.RateLimit = new RateLimitPolicy { Max = 2, WindowSec = 3600 }; return p; });
        using var ana = bed.Client("ana");

        // GET /sync is a probe: checked, never counted.
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(ana, HttpMethod.Get, "/sync/app")).Status);
        // Requests that fail later (no checkout: 404) still count: the limit is on requests, as upstream's.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(ana, HttpMethod.Post, "/chat", "{}")).Status);

        var (status, body, response) = await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"));
        AssertRefused(status, body, "rate_limited", "rate limit reached (2 requests per window)");
        Assert.Equal("{\"error\":\"rate_limited\",\"message\":\"rate limit reached (2 requests per window)\"}", body);
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 3600);
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/sync/app", null);
        AssertRefused(status, body, "rate_limited", "rate limit reached (2 requests per window)");
        (status, body, _) = await SendAsync(ana, HttpMethod.Get, "/sync/app");
        AssertRefused(status, body, "rate_limited", "rate limit reached (2 requests per window)");

        // Other users are not affected.
        using var ben = bed.Client("ben");
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(ben, HttpMethod.Post, "/ask", Ask("app"))).Status);

        // Raising the limit applies on the next request, without a restart; so does removing it.
        bed.Agent.Registry.SetPolicy("ana", p => { p.RateLimit = new RateLimitPolicy { Max = 3, WindowSec = 3600 }; return p; });
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"))).Status);
        (status, body, _) = await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"));
        AssertRefused(status, body, "rate_limited", "rate limit reached (3 requests per window)");
        bed.Agent.Registry.SetPolicy("ana", p => { p.RateLimit = null; return p; });
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"))).Status);
        Assert.Null(bed.Agent.Registry.Find("ana")!.Policy);
    }

    [Fact]
    public async Task A_full_window_frees_up_as_its_oldest_request_leaves_it()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        bed.Token("ana");
        bed.Agent.Registry.SetPolicy("ana", p => { p.RateLimit = new RateLimitPolicy { Max = 1, WindowSec = 1 }; return p; });
        using var ana = bed.Client("ana");
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"))).Status);
        // Waits for the window (1 s) to pass rather than asserting on how fast anything runs.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            status = (await SendAsync(ana, HttpMethod.Post, "/ask", Ask("app"))).Status;
        } while (status == HttpStatusCode.Forbidden && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
