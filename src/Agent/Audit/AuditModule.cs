namespace Patchwire.Agent.Audit;

/// <summary>The audit log writer (issue: paper trail).</summary>
public static class AuditModule
{
    public static IServiceCollection AddPatchwireAudit(this IServiceCollection services) =>
        services.AddSingleton<AuditLog>();
}
