/**
 * Worker throughput and latency against the floor (bench/floor-worker.ts), both as separate processes
 * on the same Redis, loaded in turn by autocannon with keep-alive connections. Rounds alternate
 * (floor, worker, floor, worker, ...) so that drift on the machine hits both alike; the median round
 * of each is reported, and the ratio of published hashes/s.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort, startRedis, stopChild, waitForUrl } from "../packages/tooling/src/processes";
import { ROOT } from "./paths";

export interface ServerRun {
  hashesPerS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export interface WorkerBench {
  ratioToFloor: number;
  p99Ms: number;
  p50Ms: number;
  hashesPerS: number;
  floor: ServerRun;
  worker: ServerRun;
  settings: { connections: number; durationS: number; rounds: number };
}

function startProgram(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [script], { env: { ...process.env, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "ignore", "inherit"] });
}

function publishCalls(cli: (...args: string[]) => string): number {
  const m = /cmdstat_publish:calls=(\d+)/.exec(cli("info", "commandstats"));
  return m ? Number(m[1]) : 0;
}

async function load(url: string, connections: number, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ str: "the quick brown fox jumps over the lazy dog" }),
    connections,
    duration: durationS,
  });
}

function median<T>(runs: T[], key: (r: T) => number): T {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runWorkerBench(opts: { connections?: number; durationS?: number; rounds?: number } = {}): Promise<WorkerBench> {
  const connections = opts.connections ?? 32;
  const durationS = opts.durationS ?? 5;
  const rounds = opts.rounds ?? 3;
  const redis = await startRedis();
  const floorPort = await freePort();
  const workerPort = await freePort();
  const floor = startProgram(join(ROOT, "bench/dist/bench/floor-worker.js"), { PORT: String(floorPort), REDIS_URL: redis.url });
  const worker = startProgram(join(ROOT, "apps/worker/dist/index.js"), { PORT: String(workerPort), REDIS_URL: redis.url });
  try {
    await waitForUrl(`http://127.0.0.1:${floorPort}/`, { anyStatus: true });
    await waitForUrl(`http://127.0.0.1:${workerPort}/_healthz`);
    const runs: Record<"floor" | "worker", ServerRun[]> = { floor: [], worker: [] };
    // one short warm-up each (JIT), not counted
    await load(`http://127.0.0.1:${floorPort}/`, connections, 1);
    await load(`http://127.0.0.1:${workerPort}/`, connections, 1);
    for (let i = 0; i < rounds; i++) {
      for (const [name, port] of [["floor", floorPort], ["worker", workerPort]] as const) {
        const before = publishCalls(redis.cli);
        const r = await load(`http://127.0.0.1:${port}/`, connections, durationS);
        const published = publishCalls(redis.cli) - before;
        runs[name].push({
          hashesPerS: published / durationS,
          requestsPerS: r.requests.average,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx + r.errors,
        });
      }
    }
    const f = median(runs.floor, (r) => r.hashesPerS);
    const w = median(runs.worker, (r) => r.hashesPerS);
    return {
      ratioToFloor: Math.round((w.hashesPerS / f.hashesPerS) * 1000) / 1000,
      p99Ms: w.p99Ms,
      p50Ms: w.p50Ms,
      hashesPerS: Math.round(w.hashesPerS),
      floor: f,
      worker: w,
      settings: { connections, durationS, rounds },
    };
  } finally {
    await Promise.all([stopChild(floor), stopChild(worker)]);
    await redis.dispose();
  }
}
