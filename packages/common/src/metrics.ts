import { collectDefaultMetrics, Registry } from "prom-client";

/** A registry with the process metrics every service exports. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
