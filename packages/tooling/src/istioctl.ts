/**
 * `istioctl analyze` over both clusters, as an operator runs it: one kubeconfig holding both clusters
 * as the contexts `primary` and `burst`, `--context primary --remote-contexts burst -A`, its messages
 * read from `-o json`. `npm run doctor` runs the istioctl on PATH, the end-to-end suite the one it
 * builds.
 *
 * With `-o json` istioctl prints its messages as one JSON array on stdout (`[]` when there are none,
 * with "✔ No validation issues found when analyzing all namespaces." on stderr), each with its `code`
 * (IST0101), `level` (Error, Warning, Info), `message`, the object's `origin` (`VirtualService
 * hashr/worker-virtual-service`) and, as more than one cluster is analyzed, the `cluster` (the
 * context's name). It exits 0 whatever it found: only its default log format exits 79 ("Analyzers
 * found issues") for messages at the failure threshold, which is read the same way here. Any other exit
 * is istioctl failing to run, with `Error: ...` on stderr (a cluster it cannot reach, say).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";

export interface AnalyzerMessage {
  /** IST0101 */
  code: string;
  /** Error, Warning or Info */
  level: string;
  message: string;
  /** the object it is about, as istioctl names it: `VirtualService hashr/worker-virtual-service` */
  origin?: string;
  /** the cluster (context) it was found in */
  cluster?: string;
}

/** The two clusters' kubeconfig texts (self-contained, or naming files by absolute path). */
export interface AnalyzedClusters {
  primary: string;
  burst: string;
}

/** istioctl's "analyzer found issues" exit (log format only). */
export const ANALYZER_FOUND_ISSUES = 79;
const TIMEOUT_MS = 120_000;

interface Named {
  name: string;
}
interface KubeconfigDoc {
  clusters?: (Named & { cluster: unknown })[];
  users?: (Named & { user: unknown })[];
  contexts?: (Named & { context?: { cluster?: string; user?: string } })[];
  "current-context"?: string;
}

/** The cluster and user of a kubeconfig's current context (or of its only context, cluster and user). */
function currentClusterAndUser(side: string, text: string): { cluster: unknown; user: unknown } {
  const doc = (yaml.load(text) ?? {}) as KubeconfigDoc;
  const contexts = doc.contexts ?? [];
  const context = contexts.find((c) => c.name === doc["current-context"]) ?? (contexts.length === 1 ? contexts[0] : undefined);
  const pick = <T extends Named>(items: T[] | undefined, wanted: string | undefined, what: string): T => {
    const found = wanted === undefined && items?.length === 1 ? items[0] : items?.find((i) => i.name === wanted);
    if (!found) throw new Error(`the ${side} kubeconfig has no ${what}${wanted === undefined ? "" : ` ${wanted}`} for its current context`);
    return found;
  };
  return { cluster: pick(doc.clusters, context?.context?.cluster, "cluster").cluster, user: pick(doc.users, context?.context?.user, "user").user };
}

/** One kubeconfig (JSON, which is YAML) with each cluster's current context as a context named after the cluster's side. */
export function mergedKubeconfig(configs: Record<string, string>): string {
  const entries = Object.entries(configs).map(([name, text]) => ({ name, ...currentClusterAndUser(name, text) }));
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map(({ name, cluster }) => ({ name, cluster })),
      users: entries.map(({ name, user }) => ({ name, user })),
      contexts: entries.map(({ name }) => ({ name, context: { cluster: name, user: name } })),
      "current-context": entries[0]?.name,
    },
    null,
    2,
  );
}

/** The arguments of the run, reading the merged kubeconfig file. */
export function analyzeArgs(kubeconfigFile: string): string[] {
  return ["analyze", "--kubeconfig", kubeconfigFile, "--context", "primary", "--remote-contexts", "burst", "-A", "-o", "json", "--failure-threshold", "Error"];
}

const isMessage = (m: unknown): m is AnalyzerMessage => {
  const o = m as Record<string, unknown> | null;
  return typeof o === "object" && o !== null && typeof o.code === "string" && typeof o.level === "string" && typeof o.message === "string";
};

/** The messages of `istioctl analyze -o json`'s stdout; an error quoting what it printed when that is not them. */
export function parseAnalyzerMessages(stdout: string): AnalyzerMessage[] {
  const text = stdout.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || "[]");
  } catch {
    throw new Error(`istioctl analyze -o json printed no JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed) || !parsed.every(isMessage)) throw new Error(`istioctl analyze -o json printed no list of messages: ${JSON.stringify(text.slice(0, 200))}`);
  return parsed.map(({ code, level, message, origin, cluster }) => ({
    code,
    level,
    message,
    ...(typeof origin === "string" ? { origin } : {}),
    ...(typeof cluster === "string" && cluster !== "" ? { cluster } : {}),
  }));
}

/** What istioctl said when it failed: its `Error: ...` lines, else its last line. */
export function istioctlError(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith("Error"));
  return (errors.length > 0 ? errors : lines.slice(-1)).join(" ").slice(0, 2000) || "(nothing on stderr)";
}

/**
 * The analyzers' messages for the two clusters (info included), from `istioctl` (a path) with the merged
 * kubeconfig written into `dir`; an error saying why when istioctl does not run to the end.
 */
export function istioctlAnalyze(istioctl: string, dir: string, configs: AnalyzedClusters, env: NodeJS.ProcessEnv = process.env): AnalyzerMessage[] {
  const file = join(dir, "analyze.kubeconfig");
  writeFileSync(file, mergedKubeconfig({ primary: configs.primary, burst: configs.burst }), { mode: 0o600 });
  const run = spawnSync(istioctl, analyzeArgs(file), { encoding: "utf8", timeout: TIMEOUT_MS, env });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") throw new Error(`istioctl analyze did not finish within ${TIMEOUT_MS / 1000} s`);
  if (run.error) throw new Error(`istioctl analyze did not run: ${run.error.message}`);
  if (run.status !== 0 && run.status !== ANALYZER_FOUND_ISSUES)
    throw new Error(`istioctl analyze failed (${run.status === null ? `signal ${run.signal}` : `exit ${run.status}`}): ${istioctlError(run.stderr)}`);
  return parseAnalyzerMessages(run.stdout);
}

/** A message as istioctl's log format prints it: `Warning [IST0170] [cluster-burst] (Service istio-system/istiod) The service ...`. */
export function analyzerLine(m: AnalyzerMessage): string {
  return `${m.level} [${m.code}]${m.cluster ? ` [cluster-${m.cluster}]` : ""}${m.origin ? ` (${m.origin})` : ""} ${m.message}`;
}
