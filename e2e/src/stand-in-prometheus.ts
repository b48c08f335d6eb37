/**
 * A stand-in for the primary's Prometheus (no pod runs here, so nothing is scraped): it answers the
 * watcher's instant queries as Prometheus's HTTP API does, with the request rate and the burst pool's
 * success ratio the test sets (healthy unless told otherwise). The rate queries are the ones on `istio_requests_total` without a
 * `response_code` matcher; the health query (the success ratio) has one.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HOST } from "../../packages/tooling/src/processes";

export interface StandInPrometheus {
  url: string;
  /** the requests/s every rate query answers from now on */
  setRate(rps: number): void;
  /** the burst pool's success ratio the health query answers from now on (1: healthy) */
  setBurstSuccess(ratio: number): void;
  /** every query asked so far */
  queries: string[];
  close(): Promise<void>;
}

export async function startStandInPrometheus(initialRps: number): Promise<StandInPrometheus> {
  let rps = initialRps;
  let burstSuccess = 1;
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/-/ready" || url.pathname === "/-/healthy") return json(200, {});
    if (url.pathname !== "/api/v1/query") return json(404, { status: "error", errorType: "not_found", error: `no ${url.pathname}` });
    const query = url.searchParams.get("query") ?? "";
    queries.push(query);
    if (!query.includes("istio_requests_total")) return json(400, { status: "error", errorType: "bad_data", error: "the stand-in answers only the watcher's queries" });
    const value = query.includes("response_code") ? burstSuccess : rps;
    json(200, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [Date.now() / 1000, String(value)] }] } });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    setRate: (n) => (rps = n),
    setBurstSuccess: (ratio) => (burstSuccess = ratio),
    queries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
