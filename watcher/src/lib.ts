/**
 * What other code (benchmarks, local mode, the end-to-end suite, tests) may import from the watcher
 * without starting anything: the pure decision, its types, configuration parsing, the policy of the
 * parsed settings, and the Istio router (the end-to-end suite reads and sets the VirtualService's
 * weights as the watcher does; its Kubernetes client is loaded only when a router is created).
 */
export { allowedBurstWeight, decide, initialState, overflowBurstWeight, phaseOf, readyTimeOf, type Decision, type Observation, type Policy, type PoolReading, type RatePoint, type Sample, type State } from "./decide";
export { loadConfig, type WatcherConfig } from "./config";
export { policyOf, type RouterKind } from "@istio-burst/contract";
export { createIstioRouter, type IstioRouter } from "./routers/istio";
