import type { ServerResponse } from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";
import { sendJson } from "./http";

/** A registry with the process metrics every service exports. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Answers `GET /metrics` with the registry in Prometheus text format (500 with the error if it cannot be read). */
export function sendMetrics(res: ServerResponse, registry: Registry): void {
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(text);
    },
    (err: unknown) => sendJson(res, 500, { error: String(err) }),
  );
}
