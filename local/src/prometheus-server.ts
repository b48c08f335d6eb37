/** A throwaway Prometheus for local mode's tests: local-only (its configuration is local mode's), beside the shared process tooling. */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, HOST, httpOk, killedWithParent, makeTempDir, requireProgram, stopChild, waitFor } from "@istio-burst/tooling";
import { prometheusArgs, renderPrometheusConfig, type ScrapeJob } from "./prometheus-config";

type QueryAnswer = { status: string; data?: { resultType: string; result: unknown }; error?: string };

export interface PrometheusServer {
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly dir: string;
  /** Instant query; resolves to the parsed JSON answer (whatever its status). */
  query(promql: string): Promise<QueryAnswer>;
  /** Waits until every target of every job has been scraped successfully. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  /** The last lines Prometheus wrote (for failure messages). */
  logTail(): string;
  /** Stops Prometheus and removes its storage and config. */
  dispose(): Promise<void>;
}

/** A throwaway Prometheus scraping `jobs` (every second by default), on a free (or the given) port. */
export async function startPrometheus(opts: { jobs: ScrapeJob[]; scrapeIntervalMs?: number; port?: number }): Promise<PrometheusServer> {
  const bin = requireProgram("prometheus", "prometheus");
  const port = opts.port ?? (await freePort());
  const tmp = makeTempDir("prometheus");
  const configFile = join(tmp.dir, "prometheus.yml");
  writeFileSync(configFile, renderPrometheusConfig(opts));
  const args = prometheusArgs({ configFile, dataDir: join(tmp.dir, "data"), listenAddress: `${HOST}:${port}` });
  const cmd = killedWithParent(bin, args);
  const child = spawn(cmd.file, cmd.args, { stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    log.splice(0, log.length - 50);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const url = `http://${HOST}:${port}`;
  const logTail = () => log.join("\n");
  const dispose = async () => {
    await stopChild(child, "SIGTERM", 10_000);
    tmp.remove();
  };
  const ready = async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${logTail()}`);
    return httpOk(`${url}/-/ready`);
  };
  await waitFor(`prometheus ready on ${url}`, ready, 30_000, 100).catch(async (err: unknown) => {
    await dispose();
    throw err;
  });
  const expected = opts.jobs.reduce((n, j) => n + j.targets.length, 0);
  const targetsUp = async () => {
    const body = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { health: string }[] } };
    return body.data.activeTargets.filter((t) => t.health === "up").length === expected;
  };
  return {
    port,
    url,
    dir: tmp.dir,
    logTail,
    dispose,
    query: async (promql) => (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`)).json()) as QueryAnswer,
    waitForTargetsUp: (timeoutMs = 20_000) => waitFor(`${expected} prometheus targets up`, targetsUp, timeoutMs, 200).then(() => undefined),
  };
}
