/**
 * A real Prometheus (the Debian `prometheus` binary) for tests: a generated config that scrapes the
 * given targets every second, a temp storage dir, a free loopback port. A missing binary is a setup
 * error (requireProgram), never a skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, makeTempDir, requireProgram, stopChild, waitFor } from "./services";

export interface ScrapeJob {
  /** job label */
  name: string;
  /** host:port targets serving /metrics */
  targets: string[];
  metricsPath?: string;
}

export interface PrometheusServer {
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly dir: string;
  /** Instant query; resolves to the parsed JSON answer (whatever its status). */
  query(promql: string): Promise<{ status: string; data?: { resultType: string; result: unknown }; error?: string }>;
  /** Waits until every target of every job has been scraped successfully. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  /** The last lines Prometheus wrote (for failure messages). */
  logTail(): string;
  /** Stops Prometheus and removes its storage and config. */
  dispose(): Promise<void>;
}

export function prometheusConfig(jobs: ScrapeJob[], scrapeInterval = "1s"): string {
  const lines = ["global:", `  scrape_interval: ${scrapeInterval}`, `  evaluation_interval: ${scrapeInterval}`, "scrape_configs:"];
  for (const job of jobs) {
    lines.push(
      `  - job_name: ${JSON.stringify(job.name)}`,
      `    scrape_interval: ${scrapeInterval}`,
      `    scrape_timeout: ${scrapeInterval}`,
      `    metrics_path: ${JSON.stringify(job.metricsPath ?? "/metrics")}`,
      "    static_configs:",
      `      - targets: [${job.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    );
  }
  return lines.join("\n") + "\n";
}

export async function startPrometheus(opts: { jobs: ScrapeJob[]; scrapeInterval?: string; port?: number }): Promise<PrometheusServer> {
  const bin = requireProgram("prometheus", "prometheus");
  const port = opts.port ?? (await freePort());
  const tmp = makeTempDir("prometheus");
  const configFile = join(tmp.dir, "prometheus.yml");
  writeFileSync(configFile, prometheusConfig(opts.jobs, opts.scrapeInterval ?? "1s"));
  const log: string[] = [];
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(tmp.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (log.length > 50) log.splice(0, log.length - 50);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => log.join("\n");
  const dispose = async () => {
    await stopChild(child, "SIGTERM", 10_000);
    tmp.remove();
  };
  try {
    await waitFor(
      `prometheus ready on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${logTail()}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      30_000,
      100,
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  const expected = opts.jobs.reduce((n, j) => n + j.targets.length, 0);
  return {
    port,
    url,
    dir: tmp.dir,
    logTail,
    dispose,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`);
      return (await res.json()) as { status: string; data?: { resultType: string; result: unknown }; error?: string };
    },
    async waitForTargetsUp(timeoutMs = 20_000) {
      await waitFor(
        `${expected} prometheus targets up`,
        async () => {
          const body = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as {
            data: { activeTargets: { health: string }[] };
          };
          const up = body.data.activeTargets.filter((t) => t.health === "up").length;
          return up === expected;
        },
        timeoutMs,
        200,
      );
    },
  };
}
