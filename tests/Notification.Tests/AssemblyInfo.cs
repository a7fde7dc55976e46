using Messenger.Testing;

[assembly: AssemblyFixture(typeof(TestServers))]
