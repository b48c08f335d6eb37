/**
 * What other code (benchmarks, local mode, tests) may import from the watcher without starting
 * anything: the pure decision, its types, configuration parsing and the policy of the parsed settings.
 */
export { allowedBurstWeight, decide, initialState, overflowBurstWeight, phaseOf, readyTimeOf, type Decision, type Observation, type Policy, type PoolReading, type RatePoint, type Sample, type State } from "./decide";
export { loadConfig, type WatcherConfig } from "./config";
export { policyOf, type RouterKind } from "@istio-burst/contract";
