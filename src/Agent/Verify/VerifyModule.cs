namespace Patchwire.Agent.Verify;

/// <summary>The verify step after a run that changed files (issue 12, item 4).</summary>
public static class VerifyModule
{
    public static IServiceCollection AddPatchwireVerify(this IServiceCollection services)
    {
        // Read now, while the services are built: a malformed PW_VERIFY_* stops the start with one line naming it.
        services.AddSingleton(VerifyOptions.FromEnvironment());
        services.AddSingleton<VerifyRunner>();
        return services;
    }
}
