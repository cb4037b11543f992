using System.Net.Sockets;
using System.Text;
using System.Xml;
using Patchwire.PowerShell.Agent;

namespace Patchwire.Tests.Hosting;

/// <summary>
/// The service definitions the install writes (what can be checked here: the unit with systemd-analyze, the plist as
/// XML), and the agent under a Type=notify unit: READY=1 once listening, STOPPING=1 on SIGTERM.
/// </summary>
public sealed class ServiceTests
{
    private static AgentServiceDefinition Definition(ServicePlatform platform, bool perUser, string home, IDictionary<string, string?> env)
    {
        var all = new System.Collections.Hashtable();
        foreach (var (k, v) in env) all[k] = v;
        return new AgentServiceDefinition
        {
            Platform = platform,
            PerUser = perUser,
            DotnetHost = Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? Environment.ProcessPath! : "/usr/bin/dotnet",
            AgentDll = TestPaths.AgentDll,
            RunAs = Environment.UserName,
            UserHome = home,
            Settings = AgentServiceDefinition.SettingsFromEnvironment(all),
        };
    }

    private static readonly Dictionary<string, string?> Env = new()
    {
        ["PW_HOME"] = "/srv/patchwire",
        ["PW_AGENT_HOST"] = "0.0.0.0",
        ["PW_STOP_GRACE_SEC"] = "45",
        ["PW_AI_ARGS"] = "--print --model \"opus\" $HOME & <x>",
        ["PW_TOKEN"] = "pw_laptop_token_never_written",
        ["PW_AGENT_URL"] = "http://laptop",
        ["HOME"] = "/root",
    };

    [Fact]
    public void The_systemd_unit_is_notify_restarts_on_failure_outwaits_the_grace_and_passes_systemd_analyze_verify()
    {
        using var temp = new TempDirectory("pw-svc");
        var definition = Definition(ServicePlatform.Systemd, perUser: false, temp.Path, Env);
        var unit = definition.SystemdUnit();

        Assert.Contains("Type=notify\n", unit);
        Assert.Contains("Restart=on-failure\n", unit);
        Assert.Contains("KillMode=mixed\n", unit);
        Assert.Contains("TimeoutStopSec=85\n", unit); // grace 45 + 40
        Assert.Contains("LimitNOFILE=65536\n", unit);
        Assert.Contains("EnvironmentFile=/etc/patchwire/agent.env\n", unit);
        Assert.Contains($"User={Environment.UserName}\n", unit);
        Assert.Contains($" {TestPaths.AgentDll} serve\n", unit);
        Assert.Contains("WantedBy=multi-user.target", unit);
        Assert.Contains("WantedBy=default.target", Definition(ServicePlatform.Systemd, perUser: true, temp.Path, Env).SystemdUnit());

        var settings = definition.SystemdEnvironmentFile();
        Assert.Contains("PW_AGENT_HOST=\"0.0.0.0\"\n", settings);
        Assert.Contains("PW_AI_ARGS=\"--print --model \\\"opus\\\" \\$HOME & <x>\"\n", settings);
        Assert.Contains("PW_HOME=\"/srv/patchwire\"\n", settings);
        Assert.DoesNotContain("PW_TOKEN", settings);
        Assert.DoesNotContain("PW_AGENT_URL", settings);
        Assert.DoesNotContain("HOME=\"/root\"", settings);
        Assert.Contains(definition.Files(), f => f.Path == "/etc/patchwire/agent.env" && f.OwnerOnly);

        var verify = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (verify is null)
        {
            Console.WriteLine("systemd-analyze not installed (Debian package 'systemd'): the unit was not verified by systemd");
            return;
        }
        var unitFile = temp.Combine(AgentServiceDefinition.SystemdName + ".service");
        File.WriteAllText(unitFile, unit);
        var result = ProcessRunner.Run(verify, new[] { "verify", "--man=no", unitFile });
        Assert.True(result.ExitCode == 0, $"systemd-analyze verify failed ({result.ExitCode}): {result.Stdout}{result.Stderr}");
        Assert.DoesNotContain(AgentServiceDefinition.SystemdName, result.Stderr);

        // The check bites: a unit with a bad setting fails it.
        File.WriteAllText(unitFile, unit.Replace("Type=notify", "Type=notifyy"));
        var bad = ProcessRunner.Run(verify, new[] { "verify", "--man=no", unitFile });
        Assert.Contains("notifyy", bad.Stdout + bad.Stderr);
    }

    [Fact]
    public void The_launchd_plist_parses_as_an_XML_plist_with_the_settings_escaped()
    {
        using var temp = new TempDirectory("pw-svc");
        var definition = Definition(ServicePlatform.Launchd, perUser: true, temp.Path, Env);
        var file = Assert.Single(definition.Files());
        Assert.Equal(Path.Combine(temp.Path, "Library", "LaunchAgents", "com.patchwire.agent.plist"), file.Path);
        Assert.True(file.OwnerOnly);

        var xml = new XmlDocument { XmlResolver = null };
        using (var reader = XmlReader.Create(new StringReader(file.Content), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null }))
            xml.Load(reader);
        Assert.Equal("plist", xml.DocumentElement!.Name);
        Assert.Contains("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\"", file.Content);
        var dict = xml.DocumentElement.SelectSingleNode("dict")!;
        string? After(XmlNode parent, string key) => parent.SelectSingleNode($"key[.='{key}']/following-sibling::*[1]")?.InnerText;
        Assert.Equal("com.patchwire.agent", After(dict, "Label"));
        var args = dict.SelectSingleNode("key[.='ProgramArguments']/following-sibling::array[1]")!.ChildNodes.Cast<XmlNode>().Select(n => n.InnerText).ToArray();
        Assert.Equal(new[] { definition.DotnetHost, TestPaths.AgentDll, "serve" }, args);
        var env = dict.SelectSingleNode("key[.='EnvironmentVariables']/following-sibling::dict[1]")!;
        Assert.Equal("--print --model \"opus\" $HOME & <x>", After(env, "PW_AI_ARGS"));
        Assert.Equal("/srv/patchwire", After(env, "PW_HOME"));
        Assert.Null(After(env, "PW_TOKEN"));
        Assert.Equal("85", After(dict, "ExitTimeOut"));
        Assert.NotNull(dict.SelectSingleNode("key[.='KeepAlive']"));
    }

    [Fact]
    public void The_Windows_script_registers_the_service_with_its_settings_quoted()
    {
        var definition = Definition(ServicePlatform.WindowsService, perUser: false, "/home/x", Env);
        var script = definition.WindowsInstallScript();
        Assert.Contains("New-Service -Name PatchwireAgent", script);
        Assert.Contains("-StartupType Automatic", script);
        Assert.Contains($"\"{TestPaths.AgentDll}\" serve", script);
        Assert.Contains("'PW_AGENT_HOST=0.0.0.0'", script);
        Assert.DoesNotContain("PW_TOKEN", script);
        Assert.Contains("sc.exe failure PatchwireAgent", script);
        // The script is valid PowerShell (parsed, not run: New-Service exists on Windows only).
        System.Management.Automation.Language.Parser.ParseInput(script, out _, out var errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void A_setting_with_a_line_break_is_refused()
    {
        var env = new System.Collections.Hashtable { ["PW_AI_ARGS"] = "a\nb", ["PW_HOME"] = "/srv/x" };
        var ex = Assert.Throws<ArgumentException>(() => AgentServiceDefinition.SettingsFromEnvironment(env));
        Assert.Contains("PW_AI_ARGS", ex.Message);
    }

    [Fact]
    public async Task Under_NOTIFY_SOCKET_the_agent_sends_READY_once_listening_and_STOPPING_on_SIGTERM_then_exits_0()
    {
        using var temp = new TempDirectory("pw-svc");
        var socketPath = temp.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        Directory.CreateDirectory(temp.Combine("home"));

        await using var agent = await AgentProcess.StartAsync(temp.Combine("home"), new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socketPath });

        var messages = new List<string>();
        async Task<string> ReceiveAsync()
        {
            var buffer = new byte[4096];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            var text = Encoding.UTF8.GetString(buffer, 0, read);
            messages.Add(text);
            return text;
        }
        Assert.Contains("READY=1", await ReceiveAsync());
        // The port is open by the time READY=1 comes.
        using (var client = agent.Client())
            Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);

        await agent.StopAsync();
        Assert.Contains("STOPPING=1", await ReceiveAsync());
        Assert.Equal(0, agent.ExitCode);
    }
}
