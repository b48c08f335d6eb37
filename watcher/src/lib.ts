/**
 * What other code (benchmarks, local mode, tests) may import from the watcher without starting
 * anything: the pure decision, its types, configuration parsing and the policy built from it.
 */
export {
  ACTIONS,
  decide,
  initialState,
  overflowBurstWeight,
  phaseOf,
  PRIMARY_ONLY,
  type Action,
  type Decision,
  type HealthPolicy,
  type Mode,
  type NoDataReason,
  type Phase,
  type Policy,
  type Sample,
  type State,
} from "./decide";
export { defaultHealthQuery, defaultQuery, loadConfig, policyFromConfig, type RouterKind, type WatcherConfig } from "./config";
export { formatWeights, isValidWeights, parseWeights, sameWeights, type Weights } from "./weights";
