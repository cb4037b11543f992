namespace Patchwire.Agent.Usage;

/// <summary>Token and cost accounting of runs (issue 12, item 5).</summary>
public static class UsageModule
{
    public static IServiceCollection AddPatchwireUsage(this IServiceCollection services)
    {
        services.AddSingleton(_ => PricingTable.FromEnvironment());
        services.AddSingleton<UsageMeter>();
        return services;
    }
}
