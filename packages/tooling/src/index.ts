/** Tooling shared by local mode, the doctor, the e2e harness, the benchmarks and the tests. */
export * from "./kube";
export * from "./processes";
