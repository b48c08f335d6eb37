/**
 * The capacity side's view of the burst worker pool: how many replicas are asked for and ready, and
 * a way to ask for another count. The controller sees only this (as it sees only a TrafficRouter);
 * implementations: the scale subresource of the burst worker Deployment (scalers/kubernetes.ts) and
 * local mode's process pool (scalers/local.ts).
 */
import type { PoolReading } from "./decide";

export interface Scaler {
  /** What it scales, for logs and /status (e.g. "Deployment default/worker-deployment (burst cluster)"). */
  readonly description: string;
  /** The replicas asked for (desired) and ready to serve (ready). */
  get(): Promise<PoolReading>;
  /** Asks for `replicas` replicas (returns once the request is accepted, not once they are ready). */
  scale(replicas: number): Promise<void>;
}
