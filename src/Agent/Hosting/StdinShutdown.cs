namespace Patchwire.Agent.Hosting;

/// <summary>
/// Start-PatchwireAgent runs the agent as a child with a pipe on its standard input and sets
/// PW_AGENT_EXIT_WITH_STDIN=1. When that pwsh goes away for any reason (Ctrl+C, SIGTERM, SIGKILL, a closed
/// terminal, a crash) the kernel closes the pipe; the agent reads end-of-file and shuts down gracefully, exactly as
/// on SIGTERM. This works on every OS and needs neither polling nor a parent pid that could be reused. It is opt-in:
/// an agent under systemd or nohup has /dev/null as stdin, which is at end-of-file from the start.
/// </summary>
public static class StdinShutdown
{
    public const string Variable = "PW_AGENT_EXIT_WITH_STDIN";

    public static bool Requested => Environment.GetEnvironmentVariable(Variable) == "1";

    public static void Start(IHostApplicationLifetime lifetime)
    {
        var watch = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
            lifetime.StopApplication();
        })
        { IsBackground = true, Name = "patchwire stdin watch" };
        watch.Start();
    }
}
