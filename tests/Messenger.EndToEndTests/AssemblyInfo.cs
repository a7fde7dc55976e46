using Messenger.EndToEndTests.Infrastructure;

// The whole system starts once per test run; every test class shares it.
[assembly: AssemblyFixture(typeof(MessengerApp))]
