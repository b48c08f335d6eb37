/**
 * The ADS probe (e2e/tools/ads-probe, our own small xDS client) as a named pod's sidecar: what istiod
 * sends that pod for a service's port, its route (the weights per subset cluster) and the endpoints of
 * its subsets. Watched, it records every answer with the time it arrived.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { killedWithParent, stopChild, waitFor } from "../../packages/tooling/src/processes";
import type { E2eTools } from "./tools";

export interface ProbeEndpoint {
  address: string;
  port: number;
  weight: number;
}

export interface ProbeAnswer {
  route: { name: string; host: string; weights: Record<string, number> };
  endpoints: Record<string, ProbeEndpoint[]>;
}

export interface ProbeTarget {
  /** istiod's plain-text xDS address */
  istiod: string;
  pod: string;
  namespace: string;
  ip: string;
  cluster: string;
  network: string;
  labels?: Record<string, string>;
  /** the service's host name, e.g. worker-service.default.svc.cluster.local */
  host: string;
  port: number;
  subsets: string[];
}

function probeArgs(t: ProbeTarget): string[] {
  const labels = Object.entries(t.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return ["-istiod", t.istiod, "-pod", t.pod, "-namespace", t.namespace, "-ip", t.ip, "-cluster", t.cluster, "-network", t.network, "-labels", labels, "-host", t.host, "-port", String(t.port), "-subsets", t.subsets.join(",")];
}

/** The weight of each subset in a route: `outbound|<port>|<subset>|<host>` -> subset. */
export function subsetWeights(answer: ProbeAnswer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cluster, weight] of Object.entries(answer.route.weights)) out[cluster.split("|")[2] || cluster] = weight;
  return out;
}

/** One answer: what the pod's sidecar gets now. */
export function probeOnce(tools: E2eTools, target: ProbeTarget): ProbeAnswer {
  const run = spawnSync(tools.path("ads-probe"), [...probeArgs(target), "-timeout", "20s"], { encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`ads-probe failed (exit ${run.status}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ProbeAnswer;
}

export interface ProbeWatch {
  /** every answer so far, with the time (ms since the epoch) it arrived */
  answers: { at: number; answer: ProbeAnswer }[];
  /** the first answer at or after `since` that satisfies `test` */
  until(what: string, test: (a: ProbeAnswer) => boolean, since: number, timeoutMs: number): Promise<{ at: number; answer: ProbeAnswer }>;
  stop(): Promise<void>;
}

/** Keeps a stream open as the pod's sidecar and records every push. */
export function watchProbe(tools: E2eTools, target: ProbeTarget): ProbeWatch {
  const cmd = killedWithParent(tools.path("ads-probe"), [...probeArgs(target), "-watch", "-timeout", "30s"]);
  const child: ChildProcess = spawn(cmd.file, cmd.args, { stdio: ["ignore", "pipe", "pipe"] });
  const answers: { at: number; answer: ProbeAnswer }[] = [];
  let errors = "";
  child.stderr!.on("data", (d: Buffer) => (errors += d.toString("utf8")));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line.trim() !== "") answers.push({ at: Date.now(), answer: JSON.parse(line) as ProbeAnswer });
  });
  return {
    answers,
    until: (what, test, since, timeoutMs) =>
      waitFor(
        `the frontend's sidecar to get ${what}${errors ? ` (ads-probe: ${errors.trim()})` : ""}`,
        () => answers.find((a) => a.at >= since && test(a.answer)),
        timeoutMs,
        20,
      ),
    stop: async () => void (await stopChild(child, "SIGTERM", 5_000)),
  };
}
