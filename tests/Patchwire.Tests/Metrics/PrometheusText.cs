using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Patchwire.Tests.Metrics;

/// <summary>
/// A scrape of GET /metrics read as Prometheus' text exposition format (0.0.4): comment lines (# TYPE, # HELP) and
/// samples <c>name{label="value",...} value [timestamp]</c>, label values with \\, \" and \n escaped.
/// </summary>
public sealed class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    private PrometheusText(string text, List<Sample> samples, Dictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }
    public IReadOnlyList<Sample> Samples { get; }
    /// <summary>Metric family name → its # TYPE (counter, gauge, histogram...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>GETs /metrics with <paramref name="client"/>; fails the test unless it is 200 text/plain.</summary>
    public static async Task<PrometheusText> ScrapeAsync(HttpClient client, string path = "/metrics")
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(text);
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 4 && parts[1] == "TYPE") types[parts[2]] = parts[3];
                continue;
            }
            samples.Add(ParseSample(line));
        }
        return new PrometheusText(text, samples, types);
    }

    private static Sample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        Assert.Matches("^[a-zA-Z_:][a-zA-Z0-9_:]*$", name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq].Trim();
                Assert.Matches("^[a-zA-Z_][a-zA-Z0-9_]*$", key);
                Assert.Equal('"', line[eq + 1]);
                var value = new StringBuilder();
                var j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch { 'n' => '\n', var c => c });
                    }
                    else value.Append(line[j]);
                }
                Assert.True(labels.TryAdd(key, value.ToString()), $"label {key} twice in: {line}");
                i = j + 1;
                if (line[i] == ',') i++;
            }
            i++;
        }
        var fields = line[i..].Trim().Split(' ');
        Assert.InRange(fields.Length, 1, 2);
        var number = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, number);
    }

    /// <summary>The one sample of <paramref name="name"/> whose labels include <paramref name="labels"/> ("key=value" pairs) and no others but le.</summary>
    public double Value(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var matches = Samples.Where(s => s.Name == name
            && s.Labels.Count == wanted.Count
            && wanted.All(w => s.Labels.TryGetValue(w.Key, out var v) && v == w.Value)).ToList();
        Assert.True(matches.Count == 1, $"{matches.Count} samples of {name}{{{string.Join(",", labels)}}} in:\n{Text}");
        return matches[0].Value;
    }

    /// <summary>A histogram's observation count, checked against its +Inf bucket.</summary>
    public double HistogramCount(string family, params string[] labels)
    {
        var count = Value(family + "_count", labels);
        var inf = Value(family + "_bucket", labels.Append("le=+Inf").ToArray());
        Assert.Equal(count, inf);
        return count;
    }

    public static HttpClient Client(string baseUrl, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
