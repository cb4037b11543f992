using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.AccessControl;
using System.Security.Principal;

namespace Patchwire.Core.IO;

/// <summary>Restricts a file to its owner: mode 600 on Unix, an ACL granting only the current user on Windows.</summary>
public static class OwnerOnly
{
    // File.SetUnixFileMode exists from .NET 7 on, which is what both the agent and pwsh 7 run on; netstandard2.0 cannot name it,
    // so it is found once by reflection. Windows PowerShell 5.1 only runs on Windows, where the mode does not apply.
    private static readonly Lazy<Action<string, int>?> SetMode = new(FindSetUnixFileMode);

    public static void Apply(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            ApplyWindowsAcl(path);
            return;
        }
        SetMode.Value?.Invoke(path, 0x180); // 0600: UserRead | UserWrite
    }

    private static void ApplyWindowsAcl(string path)
    {
        var me = WindowsIdentity.GetCurrent().User;
        if (me is null) return;
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false); // drop inherited entries (Users, Everyone)
        security.AddAccessRule(new FileSystemAccessRule(me, FileSystemRights.FullControl, AccessControlType.Allow));
        new FileInfo(path).SetAccessControl(security);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> and narrows its mode before any byte is written.</summary>
    public static FileStream Create(string path, FileMode mode = FileMode.Create)
    {
        var stream = new FileStream(path, mode, FileAccess.Write, FileShare.Read);
        try { Apply(path); }
        catch { stream.Dispose(); throw; }
        return stream;
    }

    public static int? GetUnixMode(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return null;
        var get = typeof(File).GetMethod("GetUnixFileMode", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string) }, null);
        return get is null ? null : Convert.ToInt32(get.Invoke(null, new object[] { path }));
    }

    private static Action<string, int>? FindSetUnixFileMode()
    {
        var modeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");
        if (modeType is null) return null;
        var method = typeof(File).GetMethod("SetUnixFileMode", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), modeType }, null);
        if (method is null) return null;
        return (path, mode) =>
        {
            try { method.Invoke(null, new[] { path, Enum.ToObject(modeType, mode) }); }
            catch (TargetInvocationException ex) when (ex.InnerException is not null) { throw ex.InnerException; }
        };
    }
}
