/** prometheus.yml for a throwaway Prometheus on loopback: one static job per target group. */
import { formatDuration } from "@istio-burst/contract";

export interface ScrapeJob {
  /** the `job` label, e.g. `local-mesh` */
  name: string;
  /** `host:port` targets serving metrics */
  targets: string[];
  /** extra target labels, e.g. `{ pool: "burst" }` */
  labels?: Record<string, string>;
  /** default /metrics */
  metricsPath?: string;
  /**
   * Files of targets that change while Prometheus runs (file_sd, JSON `[{"targets": [...], "labels":
   * {...}}]`), e.g. local mode's burst pool; Prometheus rereads a file when it changes.
   */
  files?: string[];
}

export interface PrometheusConfigOptions {
  /** default 1 s */
  scrapeIntervalMs?: number;
  jobs: ScrapeJob[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TARGET = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (s: string) => JSON.stringify(s);

function renderJob(job: ScrapeJob): string[] {
  for (const t of job.targets) if (!TARGET.test(t)) throw new Error(`scrape target ${q(t)} of job ${job.name} is not host:port`);
  const lines = [
    `  - job_name: ${q(job.name)}`,
    `    metrics_path: ${q(job.metricsPath ?? "/metrics")}`,
    "    static_configs:",
    `      - targets: [${job.targets.map(q).join(", ")}]`,
  ];
  const labels = Object.entries(job.labels ?? {});
  if (labels.length > 0) lines.push("        labels:");
  for (const [k, v] of labels) {
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new Error(`label name ${q(k)} of job ${job.name} is not valid`);
    lines.push(`          ${k}: ${q(v)}`);
  }
  if (job.files && job.files.length > 0) {
    lines.push("    file_sd_configs:", `      - files: [${job.files.map(q).join(", ")}]`, "        refresh_interval: 5s");
  }
  return lines;
}

/**
 * Renders prometheus.yml. The scrape timeout equals the interval (Prometheus rejects a timeout
 * longer than the interval, and its default timeout is 10 s).
 */
export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  const ms = opts.scrapeIntervalMs ?? 1_000;
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`scrape interval ${ms} ms is not a whole number of milliseconds of at least 1`);
  const names = opts.jobs.map((j) => j.name);
  const twice = names.find((n, i) => !n || names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`scrape job name ${q(twice)} is empty or used twice`);
  const interval = formatDuration(ms);
  const head = ["global:", `  scrape_interval: ${interval}`, `  scrape_timeout: ${interval}`, `  evaluation_interval: ${interval}`, "scrape_configs:"];
  return [...head, ...opts.jobs.flatMap(renderJob)].join("\n") + "\n";
}

/** Command-line flags for a throwaway Prometheus: given config, temp storage, loopback listener. */
export function prometheusArgs(opts: { configFile: string; dataDir: string; listenAddress: string }): string[] {
  return [`--config.file=${opts.configFile}`, `--storage.tsdb.path=${opts.dataDir}`, `--web.listen-address=${opts.listenAddress}`, "--storage.tsdb.retention.time=1d"];
}
