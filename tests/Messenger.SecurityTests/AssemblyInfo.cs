using Messenger.SecurityTests.Infrastructure;

// One messenger for the whole project: every test class shares it.
[assembly: AssemblyFixture(typeof(SecuritySystem))]

// Tests run one after another: they share one messenger, and the log assertions read what the whole
// system logged, which a test running alongside would add to.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

[assembly: Trait("Category", "security")]
