/** Tooling shared by local mode, the doctor, the e2e harness, the benchmarks and the tests. */
export * from "./access";
export * from "./credentials";
export * from "./istioctl";
export * from "./kube";
export * from "./processes";
export * from "./random";
