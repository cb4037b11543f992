using Patchwire.Agent.Configuration;
using Patchwire.Core.Audit;

namespace Patchwire.Agent.Usage;

/// <summary>Turns an /ask run's output into the audit line's model, tokens_in, tokens_out, cost_usd and cost_source.</summary>
public sealed class UsageMeter(PricingTable pricing, AgentOptions options)
{
    public const string FromPricingFile = "pricing_file";
    public const string UnknownModel = "unknown_model";
    public const string AiReported = "ai_reported";
    public const string NoPricing = "no_pricing";
    public const string NoUsage = "no_usage";

    public void Fill(AuditEntry entry, string stdout)
    {
        var usage = AiUsage.FromOutput(stdout, options.AiArgs);
        entry.Model = usage.Model;
        entry.TokensIn = usage.TokensIn;
        entry.TokensOut = usage.TokensOut;
        (entry.CostUsd, entry.CostSource) = Cost(usage);
    }

    /// <summary>A /chat turn keeps the parser's tokens; its stream's result event, when there was one, gives model and cost.</summary>
    public void FillChat(AuditEntry entry, string? resultJson)
    {
        if (resultJson is null) return;
        var usage = AiUsage.FromOutput(resultJson, options.AiArgs) with { TokensIn = entry.TokensIn, TokensOut = entry.TokensOut };
        entry.Model = usage.Model;
        (entry.CostUsd, entry.CostSource) = Cost(usage);
    }

    public (double Cost, string Source) Cost(AiUsage usage)
    {
        if (usage.TokensIn is null || usage.TokensOut is null) return (0, NoUsage);
        if (pricing.Path is null) return usage.ReportedCostUsd is { } reported ? (reported, AiReported) : (0, NoPricing);
        if (pricing.Find(usage.Model) is not { } price) return (0, UnknownModel);
        var cost = (usage.TokensIn.Value * price.InputPerMillion + usage.TokensOut.Value * price.OutputPerMillion) / 1_000_000m;
        return ((double)cost, FromPricingFile);
    }
}
