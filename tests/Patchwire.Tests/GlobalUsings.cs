global using Xunit;
global using Patchwire.Tests.Infrastructure;
