using Messenger.BrowserTests.Infrastructure;

// The whole system and one Chromium start once per test run; every test class shares them.
[assembly: AssemblyFixture(typeof(BrowserSystem))]
