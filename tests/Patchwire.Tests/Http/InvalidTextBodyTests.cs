using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Patchwire.Tests.Runs;

namespace Patchwire.Tests.Http;

/// <summary>
/// A JSON body is text: one with bytes that are not UTF-8, or a \u escape that leaves half a surrogate pair, is a 400
/// with a JSON error naming the field on every JSON route, before anything runs or is stored.
/// </summary>
public sealed class InvalidTextBodyTests
{
    private const string MarkRan = "touch \"$NOTES/ran\"; cat >/dev/null; echo changed >> src/app.txt";
    private const string Uuid = "3f2b8a0e-5c1d-4e7a-9b6f-0a1b2c3d4e5f";

    private static async Task<(HttpStatusCode Status, string Error)> PostAsync(HttpClient client, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{path}: {(int)response.StatusCode} '{text}'");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    /// <summary>The JSON text with each "@@" replaced by <paramref name="raw"/>, byte for byte.</summary>
    private static byte[] Splice(string json, params byte[] raw)
    {
        var parts = json.Split("@@");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(parts[0]));
        foreach (var part in parts.Skip(1)) { bytes.AddRange(raw); bytes.AddRange(Encoding.UTF8.GetBytes(part)); }
        return bytes.ToArray();
    }

    [Fact]
    public async Task A_lone_surrogate_escape_is_400_naming_the_field_and_nothing_runs()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var cases = new (string Path, string Body, string Expected)[]
        {
            ("/ask", "{\"prompt\":\"fix \\ud800 this\",\"project\":\"app\"}", "field 'prompt' holds a lone surrogate"),
            ("/ask", "{\"prompt\":\"end \\udc00\",\"project\":\"app\"}", "field 'prompt' holds a lone surrogate"),
            ("/ask", "{\"prompt\":\"reversed pair \\udc00\\ud800\",\"project\":\"app\"}", "field 'prompt' holds a lone surrogate"),
            ("/ask", "{\"prompt\":\"hi\",\"project\":\"app\",\"note\":[\"\\ud83d\"]}", "field 'note[0]' holds a lone surrogate"),
            ("/ask", "{\"prompt\":\"hi\",\"project\":\"app\",\"\\ud800\":1}", "a field name in the body is not valid Unicode"),
            ("/chat", $"{{\"uuid\":\"{Uuid}\",\"prompt\":\"\\ud800\",\"project\":\"app\"}}", "field 'prompt' holds a lone surrogate"),
            ("/chat", $"{{\"uuid\":\"{Uuid}\",\"prompt\":\"hi\",\"projectName\":\"a\\udfffb\"}}", "field 'projectName' holds a lone surrogate"),
        };
        foreach (var (path, body, expected) in cases)
        {
            var (status, error) = await PostAsync(client, path, Encoding.UTF8.GetBytes(body));
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {body}: {status} {error}");
            Assert.StartsWith("invalid body: ", error);
            Assert.Contains(expected, error);
        }
        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.False(File.Exists(Path.Combine(bed.Home, "agent-sessions.json")));
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("fail:") || l.Contains("Exception"));
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_400_on_ask_and_chat_and_nothing_runs()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        using var client = bed.Client("ana");

        var cases = new (string Path, byte[] Body, string Expected)[]
        {
            ("/ask", Splice("{\"prompt\":\"a@@b\",\"project\":\"app\"}", 0xFF), "invalid body: field 'prompt' is not valid UTF-8"),
            ("/ask", Splice("{\"prompt\":\"a@@\",\"project\":\"app\"}", 0xC3), "invalid body: field 'prompt' is not valid UTF-8"), // cut-off sequence
            ("/ask", Splice("{\"prompt\":\"@@\",\"project\":\"app\"}", 0xC0, 0xAF), "invalid body: field 'prompt' is not valid UTF-8"), // overlong '/'
            ("/ask", Splice("{\"prompt\":\"@@\",\"project\":\"app\"}", 0xED, 0xA0, 0x80), "invalid body: field 'prompt' is not valid UTF-8"), // encoded surrogate
            ("/ask", Splice("{\"prompt\":\"hi\",\"project\":\"ap@@p\"}", 0xFE), "invalid body: field 'project' is not valid UTF-8"),
            ("/chat", Splice($"{{\"uuid\":\"{Uuid}\",\"prompt\":\"x@@\",\"project\":\"app\"}}", 0x80), "invalid body: field 'prompt' is not valid UTF-8"),
        };
        foreach (var (path, body, expected) in cases)
        {
            var (status, error) = await PostAsync(client, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {Convert.ToHexString(body)}: {status} {error}");
            Assert.Equal(expected, error);
        }
        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(before, repo.Path);
        Assert.False(File.Exists(Path.Combine(bed.Home, "agent-sessions.json")));
        Assert.DoesNotContain(bed.Agent.Output, l => l.Contains("fail:") || l.Contains("Exception"));
    }

    [Fact]
    public async Task A_user_with_a_project_policy_gets_the_same_400_from_the_policy_filter_path()
    {
        await using var bed = await RunsTestBed.StartAsync(MarkRan);
        var repo = bed.CreateCheckout("ana", "app");
        var before = CheckoutAssert.Fingerprint(repo.Path);
        bed.Agent.Registry.SetPolicy("ana", p => { p.Projects = new List<string> { "app" }; return p; });
        using var client = bed.Client("ana");

        var (status, error) = await PostAsync(client, "/ask", Encoding.UTF8.GetBytes("{\"prompt\":\"hi\",\"project\":\"a\\ud800\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid body: field 'project' holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair)", error);
        (status, error) = await PostAsync(client, "/chat", Splice($"{{\"uuid\":\"{Uuid}\",\"prompt\":\"hi\",\"project\":\"ap@@\"}}", 0xFF));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid body: field 'project' is not valid UTF-8", error);
        Assert.False(File.Exists(bed.Note("ran")));
        CheckoutAssert.SameTree(before, repo.Path);
    }

    [Fact]
    public async Task Valid_surrogate_pairs_and_multibyte_text_still_reach_the_ai()
    {
        await using var bed = await RunsTestBed.StartAsync("cat > \"$NOTES/prompt\"");
        bed.CreateCheckout("ana", "app");
        using var client = bed.Client("ana");

        var body = Splice("{\"prompt\":\"caf\\u00e9 \\ud83d\\ude00 @@\",\"project\":\"app\"}", Encoding.UTF8.GetBytes("naïve 😀"));
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/ask", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("result", JsonDocument.Parse(lines[^1]).RootElement.GetProperty("type").GetString());
        Assert.Equal("café 😀 naïve 😀", File.ReadAllText(bed.Note("prompt")).TrimEnd('\n'));
    }
}
