/**
 * What other code (benchmarks, local mode, tests) may import from the watcher without starting
 * anything: the pure decision, its types, configuration parsing and the policy built from it.
 */
export { allowedBurstWeight, decide, initialState, overflowBurstWeight, phaseOf, type CapacityPolicy, type Decision, type HealthPolicy, type Policy, type PoolReading, type Sample, type State } from "./decide";
export { loadConfig, policyFromConfig, type RouterKind, type WatcherConfig } from "./config";
