using Messenger.SecurityTests.Infrastructure;

// One messenger for the whole project: every test class shares it.
[assembly: AssemblyFixture(typeof(SecuritySystem))]

// Tests run one after another: the abuse tests measure another user's latency during a flood, which
// a fuzz run in parallel would distort, and the log assertions read what the whole system logged.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

[assembly: Trait("Category", "security")]
