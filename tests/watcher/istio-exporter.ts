/**
 * A small exporter the tests drive: `istio_requests_total` with Istio's label names, increased at a
 * chosen rate per series. Increments follow the wall clock (not the timer count), so CPU load
 * delays them a little but does not change the rate.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Registry } from "prom-client";

export interface IstioSeries {
  reporter: "source" | "destination";
  source_workload: string;
  destination_service: string;
  destination_cluster: string;
  response_code: string;
}

export const frontendToWorker = (cluster: string, ns = "default", code = "200"): IstioSeries => ({
  reporter: "source",
  source_workload: "frontend-deployment",
  destination_service: `worker-service.${ns}.svc.cluster.local`,
  destination_cluster: cluster,
  response_code: code,
});

export interface IstioExporter {
  /** host:port for a scrape config */
  readonly target: string;
  /** Increase this series at `rps` per second from now on (0 stops it). */
  drive(series: IstioSeries, rps: number): void;
  close(): Promise<void>;
}

export async function startIstioExporter(): Promise<IstioExporter> {
  const registry = new Registry();
  const counter = new Counter({
    name: "istio_requests_total",
    help: "Requests, as Istio's standard metrics count them",
    labelNames: ["reporter", "source_workload", "destination_service", "destination_cluster", "response_code"],
    registers: [registry],
  });
  const drivers = new Map<string, { series: IstioSeries; rps: number; since: number; base: number; emitted: number }>();
  const step = () => {
    const now = Date.now();
    for (const d of drivers.values()) {
      const due = d.base + Math.floor((d.rps * (now - d.since)) / 1000);
      if (due > d.emitted) {
        counter.inc({ ...d.series }, due - d.emitted);
        d.emitted = due;
      }
    }
  };
  const timer = setInterval(step, 50);
  const server: Server = createServer((_req, res) => {
    step();
    registry.metrics().then((text) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    drive(series, rps) {
      step();
      const key = JSON.stringify(series);
      const prev = drivers.get(key);
      const emitted = prev?.emitted ?? 0;
      if (!prev) counter.inc({ ...series }, 0);
      drivers.set(key, { series, rps, since: Date.now(), base: emitted, emitted });
    },
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
