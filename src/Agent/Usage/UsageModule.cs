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

    /// <summary>Runs before the port opens: a pricing file that cannot be read stops the start, naming file and line.</summary>
    public static void PreparePatchwireUsage(this WebApplication app)
    {
        var pricing = app.Services.GetRequiredService<PricingTable>();
        if (pricing.Path is not null) Console.WriteLine($"pricing: {pricing.Count} model(s) from {pricing.Path}");
    }
}
