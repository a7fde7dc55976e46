// Each fault test runs the whole system as processes on the machine's few cores and breaks a part of
// it; two at once would fight over the CPU and over what they break.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
