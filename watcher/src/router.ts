import type { Weights } from "@istio-burst/contract";

/** Why the weights change, for logs and (Istio) the Kubernetes Event. */
export interface ChangeNote {
  /** Short CamelCase reason, e.g. BurstStarted (the Event's reason). */
  readonly reason: string;
  /** Human-readable message with the figures. */
  readonly message: string;
  /** A change forced by a failure (the health guard): Event type Warning. */
  readonly warning?: boolean;
}

/** Gets and sets the two worker-service weights; the controller sees only this. */
export interface TrafficRouter {
  /** What it routes, for logs and /status (e.g. "VirtualService default/worker-virtual-service"). */
  readonly description: string;
  getWeights(): Promise<Weights>;
  setWeights(weights: Weights, note: ChangeNote): Promise<void>;
}
