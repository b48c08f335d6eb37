/**
 * The watcher's decision: a pure function of (state, sample, policy, now). Everything it remembers
 * between polls lives in the state it returns; there are no globals, so it can be replayed over a
 * trace and tested as a table. Split by concern, as the HPA keeps its replica math apart:
 *
 * - types.ts: the policy (the contract's WatcherPolicy), the sample, the state and the decision;
 * - replicas.ts: the replicas the burst pool needs, and the scale-down cooldown;
 * - prewarm.ts, trend.ts: replicas before traffic needs them (on the trend, clear of the noise), an
 *   unused warm pool's timeout, and the time replicas take to become ready;
 * - weights.ts: the route weights: no-data hold, health guard, minDwell (reversals, not follow-ups);
 * - modes/: what each mode asks for, fast up and slow down, and of the replicas: one strategy a mode
 *   (switch.ts, overflow.ts), and nothing else compares the mode;
 * - ready-gate.ts: no more burst weight than the ready replicas can carry.
 */
import { planReplicas } from "./replicas";
import { readyGateFor } from "./ready-gate";
import { readyTimeOf, type Decision, type Policy, type Sample, type State } from "./types";
import { decideWeights } from "./weights";

export { allowedBurstWeight } from "./ready-gate";
export { overflowBurstWeight } from "./modes";
export { initialState, phaseOf, readyTimeOf, type Decision, type FollowUp, type Observation, type Policy, type PoolReading, type RatePoint, type Recommendation, type ReplicaNeed, type Sample, type State } from "./types";

/**
 * Decides the route weights for one sample and, when the burst pool was read with it (`sample.pool`
 * defined), the replicas the pool should have: the replicas first (what the sample needs, kept for
 * the cooldown), then the weights, gated by the pool's ready replicas. Without a pool reading the
 * decision is about the weights alone.
 */
export function decide(state: State, sample: Sample, policy: Policy, now: number): Decision {
  if (sample.pool === undefined) return decideWeights(state, sample, policy, now);
  const plan = planReplicas(state, sample, policy, now);
  const gate = readyGateFor(sample, plan.neededNow, policy);
  const decision = decideWeights({ ...state, ...plan.memory }, sample, policy, now, gate);
  const scaleUpTime = readyTimeOf(decision.state, policy);
  const withPool: Decision = { ...decision, desiredReplicas: plan.desired, scaleReason: plan.reason, scaleUpTime };
  return sample.pool && sample.pool.desired !== plan.desired ? { ...withPool, replicas: plan.desired } : withPool;
}
