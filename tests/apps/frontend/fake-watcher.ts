/** A stand-in watcher for the frontend's routing tests: answers /status as told, and counts the calls. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { DEFAULT_WATCHER_SETTINGS, HEALTH_OFF, policyOf, type WatcherStatus } from "@istio-burst/contract";
import { listen } from "@istio-burst/common";

/** What the fake answers on every request. */
export type FakeAnswer =
  | { kind: "json"; status?: number; body: unknown }
  | { kind: "text"; status: number; type: string; body: string }
  /** accepts the request and never answers */
  | { kind: "hang" }
  /** sends the headers and part of the body, then nothing */
  | { kind: "hang-body" };

export interface FakeWatcher {
  url: string;
  /** paths asked for, in order */
  readonly calls: string[];
  answer: FakeAnswer;
  /** answered first, one a request, before `answer` */
  next: FakeAnswer[];
  close(): Promise<void>;
}

/** A watcher /status in the burst phase after two changes, as the real watcher builds it. */
export function cannedStatus(): WatcherStatus {
  const toBurst = {
    at: "2026-01-02T10:00:05.000Z",
    seq: 1,
    action: "to-burst",
    reason: "observed 25.3 rps > HIGH_RPS 15: weights 100,0 -> 0,100",
    from: { primary: 100, burst: 0 },
    to: { primary: 0, burst: 100 },
    dryRun: false,
  } as const;
  return {
    service: "watcher",
    ready: true,
    mode: "switch",
    dryRun: false,
    router: "VirtualService hashr/worker-virtual-service",
    prometheusUrl: "http://prometheus.istio-system.svc.cluster.local:9090",
    query: 'sum(rate(istio_requests_total{reporter="source"}[30s]))',
    upQuery: 'sum(rate(istio_requests_total{reporter="source"}[10s]))',
    healthQuery: null,
    pollIntervalMs: 1_000,
    // the default policy (15/10 rps, 10 s dwell, 30 s window for a 5 s scrape), health guard off
    thresholds: policyOf({ ...DEFAULT_WATCHER_SETTINGS, burstHealthQuery: HEALTH_OFF }),
    polls: 42,
    lastSample: { at: "2026-01-02T10:00:41.000Z", kind: "value", rps: 24.9, upRps: 25.1 },
    lastDecision: { at: "2026-01-02T10:00:41.000Z", action: "hold", reason: "observed 24.9 rps: holding weights" },
    weights: { primary: 0, burst: 100 },
    phase: "burst",
    changes: 3,
    lastChange: { ...toBurst, seq: 3, at: "2026-01-02T10:00:35.000Z" },
    recentChanges: [
      toBurst,
      {
        at: "2026-01-02T10:00:20.000Z",
        seq: 2,
        action: "to-natural",
        reason: "observed 4.2 rps < LOW_RPS 10, and every sample of the last 30s below it: weights 0,100 -> 100,0",
        from: { primary: 0, burst: 100 },
        to: { primary: 100, burst: 0 },
        dryRun: false,
      },
      { ...toBurst, seq: 3, at: "2026-01-02T10:00:35.000Z" },
    ],
    burstPool: { desired: 2, ready: 1, reason: "switch mode: 2 replicas to burst", lastScaleAt: "2026-01-02T10:00:30.000Z", scaleUpTimeMs: 12_000, scaleUpTimeMeasured: true, paused: null },
    // 2 replicas for the last 11 s of the 36 s since the watcher started, at 0.068 USD an hour
    cost: { burstReplicaSeconds: 22, burstCost: 0.000416, alwaysOnCost: 0.00136, currency: "USD", since: "2026-01-02T10:00:06.000Z" },
    election: null,
  };
}

/** Listens on `port` (default: a free one) on 127.0.0.1. */
export async function startFakeWatcher(answer: FakeAnswer = { kind: "json", body: cannedStatus() }, port = 0): Promise<FakeWatcher> {
  const held: ServerResponse[] = [];
  const fake: FakeWatcher = {
    url: "",
    calls: [],
    answer,
    next: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    fake.calls.push(req.url ?? "");
    req.resume();
    const a = fake.next.shift() ?? fake.answer;
    if (a.kind === "hang") {
      held.push(res);
      return;
    }
    if (a.kind === "hang-body") {
      res.writeHead(200, { "content-type": "application/json", "content-length": 10_000 });
      res.write('{"service": "watcher", ');
      held.push(res);
      return;
    }
    const [status, type, body] = a.kind === "json" ? [a.status ?? 200, "application/json", JSON.stringify(a.body)] : [a.status, a.type, a.body];
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  fake.url = `http://127.0.0.1:${await listen(server, port, "127.0.0.1")}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}
