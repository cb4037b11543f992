using Patchwire.Agent;

return await AgentCommandLine.RunAsync(args);
