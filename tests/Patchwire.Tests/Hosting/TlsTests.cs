using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Patchwire.PowerShell.Doctor;
using Patchwire.Tests.Laptop;

namespace Patchwire.Tests.Hosting;

/// <summary>https from PEM files (PW_TLS_CERT, PW_TLS_KEY) and the module's trust: system store plus PW_AGENT_CA, nothing skipped.</summary>
[Collection(PowerShellCollection.Name)]
public sealed class TlsTests
{
    /// <summary>A self-signed certificate for localhost and 127.0.0.1, written as PEM; returns (cert file, key file).</summary>
    private static (string Cert, string Key) MakeCertificate(string folder, string name, DateTimeOffset notBefore, DateTimeOffset notAfter, RSA? key = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        Directory.CreateDirectory(folder);
        var certFile = Path.Combine(folder, name + ".crt");
        var keyFile = Path.Combine(folder, name + ".key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, (key ?? rsa).ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    private static (string Cert, string Key) ValidCertificate(string folder, string name = "patchwire-test-box") =>
        MakeCertificate(folder, name, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    [Fact]
    public async Task The_agent_serves_https_and_the_module_trusts_it_through_PW_AGENT_CA_showing_subject_and_expiry()
    {
        using var temp = new TempDirectory("pw-tls");
        var (cert, key) = ValidCertificate(temp.Combine("tls"));
        await using var bed = await LaptopTestBed.StartAsync("echo edited >> f.txt", new Dictionary<string, string?> { ["PW_TLS_CERT"] = cert, ["PW_TLS_KEY"] = key });
        Assert.StartsWith("https://127.0.0.1:", bed.Agent.BaseUrl);
        await bed.Agent.WaitForOutputAsync(l => l.StartsWith("tls: CN=patchwire-test-box, expires ", StringComparison.Ordinal)); // printed after the listening line
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        using var session = new PowerShellSession(bed.LaptopHome, new Dictionary<string, string?> { ["PW_AGENT_CA"] = cert });
        var lines = session.Invoke($"patchwire setup --token {token} --agent-url {bed.Agent.BaseUrl}; $LASTEXITCODE");
        Assert.Equal(0, (int)lines[^1].BaseObject);
        var expiry = X509Certificate2.CreateFromPem(File.ReadAllText(cert)).NotAfter.ToUniversalTime().ToString("yyyy-MM-dd");
        Assert.Contains(lines, l => l.ToString() == $"Agent certificate: CN=patchwire-test-box, expires {expiry}");

        var checks = session.Invoke($"Test-PatchwireConnection -Path '{project.Path}'").Select(o => (PatchwireCheck)o.BaseObject).ToDictionary(c => c.Check);
        Assert.All(checks.Values, c => Assert.True(c.Passed, c.ToString()));
        Assert.Contains($"certificate CN=patchwire-test-box, expires {expiry}", checks["agent"].Message);

        // A whole ask (sync and NDJSON stream) over https.
        var diff = session.Invoke($"Set-Location '{project.Path}'; (Invoke-PatchwireAsk 'go').Diff")[0].ToString();
        Assert.Contains("+edited", diff);
    }

    [Fact]
    public async Task A_client_that_trusts_nothing_gets_a_clear_TLS_error_naming_the_agent_URL()
    {
        using var temp = new TempDirectory("pw-tls");
        var (cert, key) = ValidCertificate(temp.Combine("tls"));
        var (otherCa, _) = ValidCertificate(temp.Combine("other"), "someone-else");
        await using var bed = await LaptopTestBed.StartAsync("true", new Dictionary<string, string?> { ["PW_TLS_CERT"] = cert, ["PW_TLS_KEY"] = key });
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        foreach (var ca in new[] { null, otherCa })
        {
            var env = bed.LaptopEnvironment(token);
            env["PW_AGENT_CA"] = ca;
            using var session = new PowerShellSession(bed.LaptopHome, env);
            var (output, errors) = session.Run($"Set-Location '{project.Path}'; Get-PatchwireQueue");
            Assert.Empty(output);
            var message = Assert.Single(errors).Exception.Message;
            Assert.Contains("TLS failed with the Patchwire agent at " + bed.Agent.BaseUrl, message);
            Assert.Contains("PW_AGENT_CA", message);
            Assert.DoesNotContain("   at ", message);
        }

        // A PW_AGENT_CA that is not a certificate is named.
        var notPem = temp.Combine("not.pem");
        File.WriteAllText(notPem, "hello");
        var badEnv = bed.LaptopEnvironment(token);
        badEnv["PW_AGENT_CA"] = notPem;
        using (var session = new PowerShellSession(bed.LaptopHome, badEnv))
        {
            var (_, errors) = session.Run($"Set-Location '{project.Path}'; Get-PatchwireQueue");
            Assert.Contains($"PW_AGENT_CA '{notPem}' holds no PEM certificate", Assert.Single(errors).Exception.Message);
        }
    }

    public static TheoryData<string, string> BadTls => new()
    {
        { "mismatch", "PW_TLS_KEY" },
        { "expired", "PW_TLS_CERT" },
        { "missing-cert", "PW_TLS_CERT" },
        { "missing-key", "PW_TLS_KEY" },
        { "not-pem", "PW_TLS_CERT" },
        { "only-cert", "PW_TLS_KEY" },
    };

    [Theory]
    [MemberData(nameof(BadTls))]
    public async Task A_bad_certificate_or_key_stops_the_start_with_one_line_naming_the_variable(string fault, string variable)
    {
        using var temp = new TempDirectory("pw-tls");
        var tls = temp.Combine("tls");
        var (cert, key) = ValidCertificate(tls);
        var env = new Dictionary<string, string?> { ["PW_TLS_CERT"] = cert, ["PW_TLS_KEY"] = key };
        switch (fault)
        {
            case "mismatch":
                env["PW_TLS_KEY"] = ValidCertificate(tls, "other").Key;
                break;
            case "expired":
                (env["PW_TLS_CERT"], env["PW_TLS_KEY"]) = MakeCertificate(tls, "old", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
                break;
            case "missing-cert":
                env["PW_TLS_CERT"] = Path.Combine(tls, "nope.crt");
                break;
            case "missing-key":
                env["PW_TLS_KEY"] = Path.Combine(tls, "nope.key");
                break;
            case "not-pem":
                File.WriteAllText(cert, "not a certificate");
                break;
            case "only-cert":
                env.Remove("PW_TLS_KEY");
                break;
        }

        var (exitCode, output) = await AgentProcess.RunToExitAsync(Directory.CreateDirectory(temp.Combine("home")).FullName, env);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("patchwire-agent: " + variable + " ", line);
        Assert.DoesNotContain("listening", output);
        if (fault == "expired") Assert.Contains("expired on", line);
        if (fault == "mismatch") Assert.Contains("does not match", line);
    }

    [Fact]
    public async Task Binding_a_non_loopback_address_without_TLS_prints_a_warning_and_loopback_does_not()
    {
        using var temp = new TempDirectory("pw-tls");
        await using (var open = await AgentProcess.StartAsync(Directory.CreateDirectory(temp.Combine("open")).FullName, new Dictionary<string, string?> { ["PW_AGENT_HOST"] = "0.0.0.0" }))
            Assert.Contains("PW_TLS_CERT", await open.WaitForOutputAsync(l => l.StartsWith("patchwire-agent: warning: listening on 0.0.0.0", StringComparison.Ordinal)));
        await using (var local = await AgentProcess.StartAsync(Directory.CreateDirectory(temp.Combine("local")).FullName))
        {
            await local.WaitForOutputAsync(l => l.StartsWith("caps:", StringComparison.Ordinal));
            await local.StopAsync(); // every line it printed has been read once it has exited
            Assert.DoesNotContain(local.Output, l => l.Contains("warning"));
        }
    }
}
