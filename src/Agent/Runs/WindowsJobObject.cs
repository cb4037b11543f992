using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Patchwire.Agent.Runs;

/// <summary>
/// A Windows Job Object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: every process assigned to it, and every process those
/// start, is in the job, and all of them die when the job is terminated or its last handle closes (the agent crashing
/// or being killed closes it). Named per run (<c>Patchwire-&lt;run id&gt;</c>) so a restarted agent can open a job that
/// outlived it and terminate it. Written against the Win32 documentation; never run on Windows (see README).
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsJobObject : IDisposable
{
    private const int ErrorAlreadyExists = 183;
    private const uint JobObjectLimitKillOnJobClose = 0x2000;
    private const uint JobObjectQuery = 0x0004;
    private const uint JobObjectTerminate = 0x0008;
    private const int JobObjectBasicAccountingInformationClass = 1;
    private const int JobObjectExtendedLimitInformationClass = 9;

    private readonly SafeJobHandle _handle;

    private WindowsJobObject(SafeJobHandle handle) => _handle = handle;

    /// <summary>A new kill-on-close job, named when <paramref name="name"/> is given.</summary>
    /// <exception cref="Win32Exception">The job could not be made, or a job of that name exists already.</exception>
    public static WindowsJobObject Create(string? name)
    {
        var handle = CreateJobObjectW(IntPtr.Zero, name);
        var error = Marshal.GetLastWin32Error();
        if (handle.IsInvalid) throw new Win32Exception(error, $"CreateJobObject failed for '{name}'");
        if (name is not null && error == ErrorAlreadyExists)
        {
            handle.Dispose();
            throw new Win32Exception(error, $"A job object named '{name}' exists already");
        }
        var limits = new JobObjectExtendedLimitInformation
        {
            BasicLimitInformation = new JobObjectBasicLimitInformation { LimitFlags = JobObjectLimitKillOnJobClose },
        };
        if (!SetInformationJobObject(handle, JobObjectExtendedLimitInformationClass, ref limits, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>()))
        {
            error = Marshal.GetLastWin32Error();
            handle.Dispose();
            throw new Win32Exception(error, "SetInformationJobObject (kill on job close) failed");
        }
        return new WindowsJobObject(handle);
    }

    /// <summary>The job named <paramref name="name"/>, opened to query and terminate it, or null when none exists.</summary>
    public static WindowsJobObject? Open(string name)
    {
        var handle = OpenJobObjectW(JobObjectQuery | JobObjectTerminate, false, name);
        if (!handle.IsInvalid) return new WindowsJobObject(handle);
        handle.Dispose();
        return null;
    }

    /// <exception cref="Win32Exception">The process could not be put in the job.</exception>
    public void Assign(Process process)
    {
        if (!AssignProcessToJobObject(_handle, process.Handle))
            throw new Win32Exception(Marshal.GetLastWin32Error(), "AssignProcessToJobObject failed");
    }

    /// <summary>Kills every process in the job.</summary>
    public bool Terminate() => TerminateJobObject(_handle, 1);

    /// <summary>Processes in the job that have not exited yet, or -1 when the job cannot be queried.</summary>
    public int ActiveProcesses
    {
        get
        {
            if (!QueryInformationJobObject(_handle, JobObjectBasicAccountingInformationClass, out JobObjectBasicAccountingInformation info,
                    (uint)Marshal.SizeOf<JobObjectBasicAccountingInformation>(), IntPtr.Zero))
                return -1;
            return (int)info.ActiveProcesses;
        }
    }

    /// <summary>Terminates the job and waits until no process of it is alive (termination is asynchronous); false past <paramref name="limit"/>.</summary>
    public bool TerminateAndWait(TimeSpan limit)
    {
        Terminate();
        var deadline = DateTime.UtcNow + limit;
        while (ActiveProcesses > 0)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    /// <summary>Closing the last handle kills whatever is still in the job (kill on job close).</summary>
    public void Dispose() => _handle.Dispose();

    // Layouts as in winnt.h; JobObjectLayoutTests checks their sizes against the SDK's for 64-bit Windows.
    [StructLayout(LayoutKind.Sequential)]
    internal struct JobObjectBasicLimitInformation
    {
        public long PerProcessUserTimeLimit;
        public long PerJobUserTimeLimit;
        public uint LimitFlags;
        public UIntPtr MinimumWorkingSetSize;
        public UIntPtr MaximumWorkingSetSize;
        public uint ActiveProcessLimit;
        public UIntPtr Affinity;
        public uint PriorityClass;
        public uint SchedulingClass;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoCounters
    {
        public ulong ReadOperationCount;
        public ulong WriteOperationCount;
        public ulong OtherOperationCount;
        public ulong ReadTransferCount;
        public ulong WriteTransferCount;
        public ulong OtherTransferCount;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct JobObjectExtendedLimitInformation
    {
        public JobObjectBasicLimitInformation BasicLimitInformation;
        public IoCounters IoInfo;
        public UIntPtr ProcessMemoryLimit;
        public UIntPtr JobMemoryLimit;
        public UIntPtr PeakProcessMemoryUsed;
        public UIntPtr PeakJobMemoryUsed;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct JobObjectBasicAccountingInformation
    {
        public long TotalUserTime;
        public long TotalKernelTime;
        public long ThisPeriodTotalUserTime;
        public long ThisPeriodTotalKernelTime;
        public uint TotalPageFaultCount;
        public uint TotalProcesses;
        public uint ActiveProcesses;
        public uint TotalTerminatedProcesses;
    }

    internal sealed class SafeJobHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle() => CloseHandle(handle);
    }

    [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    private static extern SafeJobHandle CreateJobObjectW(IntPtr securityAttributes, string? name);

    [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    private static extern SafeJobHandle OpenJobObjectW(uint desiredAccess, bool inheritHandle, string name);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool SetInformationJobObject(SafeJobHandle job, int infoClass, ref JobObjectExtendedLimitInformation info, uint length);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool QueryInformationJobObject(SafeJobHandle job, int infoClass, out JobObjectBasicAccountingInformation info, uint length, IntPtr returnLength);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool AssignProcessToJobObject(SafeJobHandle job, IntPtr process);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool TerminateJobObject(SafeJobHandle job, uint exitCode);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool CloseHandle(IntPtr handle);
}

/// <summary>
/// For a short-lived child such as git: on Windows an unnamed kill-on-close job it is put in right after it starts, so
/// a killed or crashed agent leaves none of its processes behind; nothing elsewhere (Linux and macOS kill git's tree
/// on cancel, see AgentGit). Best effort: a job that cannot be made or joined leaves the child as it was.
/// </summary>
internal sealed class ChildProcessJob : IDisposable
{
    private readonly IDisposable? _job;

    private ChildProcessJob(IDisposable? job) => _job = job;

    public static ChildProcessJob Create()
    {
        if (!OperatingSystem.IsWindows()) return new ChildProcessJob(null);
        try { return new ChildProcessJob(WindowsJobObject.Create(null)); }
        catch (Win32Exception) { return new ChildProcessJob(null); }
    }

    public void Adopt(Process process)
    {
        if (!OperatingSystem.IsWindows() || _job is not WindowsJobObject job) return;
        try { job.Assign(process); }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException) { }
    }

    public void Dispose() => _job?.Dispose();
}
