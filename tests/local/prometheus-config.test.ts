import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { DEFAULT_NAMESPACE, defaultRateQuery } from "@istio-burst/contract";
import { createMesh, type Mesh } from "../../local/src/mesh";
import { prometheusArgs, renderPrometheusConfig } from "../../local/src/prometheus-config";
import { Supervisor } from "../../local/src/supervisor";
import { fakeUpstream, request, type FakeUpstream } from "../helpers/local-http";
import { freePort, makeTempDir, requireProgram, sleep, waitFor } from "../../packages/tooling/src/processes";

const jobs = [
  { name: "local-mesh", targets: ["127.0.0.1:15000"] },
  { name: "worker", targets: ["127.0.0.1:9001", "127.0.0.1:9002"], labels: { pool: "primary" } },
  { name: "worker-burst", targets: ["127.0.0.1:9003"], labels: { pool: "burst" } },
  { name: "frontend", targets: ["127.0.0.1:8080"] },
];

function promtool(yaml: string): { status: number | null; output: string } {
  const bin = requireProgram("promtool", "prometheus");
  const tmp = makeTempDir("promtool");
  try {
    const file = join(tmp.dir, "prometheus.yml");
    writeFileSync(file, yaml);
    const r = spawnSync(bin, ["check", "config", file], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    tmp.remove();
  }
}

describe("generated Prometheus config", () => {
  it("scrapes every 1 s with a timeout that fits the interval", () => {
    const yaml = renderPrometheusConfig({ jobs });
    expect(yaml).toMatch(/^ {2}scrape_interval: 1s$/m);
    expect(yaml).toMatch(/^ {2}scrape_timeout: 1s$/m);
    expect(yaml).toContain('- targets: ["127.0.0.1:9001", "127.0.0.1:9002"]');
    expect(yaml).toContain('pool: "burst"');
  });

  it("is accepted by promtool check config", () => {
    const r = promtool(renderPrometheusConfig({ jobs, scrapeIntervalMs: 1_000 }));
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it("promtool does reject a broken config (the check above can fail)", () => {
    const broken = renderPrometheusConfig({ jobs }).replace("scrape_timeout: 1s", "scrape_timeout: 5s");
    const r = promtool(broken);
    expect(r.status).not.toBe(0);
  });

  it("refuses bad input instead of writing a bad file", () => {
    expect(() => renderPrometheusConfig({ jobs, scrapeIntervalMs: 0.5 })).toThrow(/not a whole number of milliseconds/);
    expect(() => renderPrometheusConfig({ jobs: [...jobs, { name: "frontend", targets: [] }] })).toThrow(/used twice/);
    expect(() => renderPrometheusConfig({ jobs: [{ name: "x", targets: ["http://a:1"] }] })).toThrow(/not host:port/);
    expect(() => renderPrometheusConfig({ jobs: [{ name: "x", targets: ["a:1"], labels: { "bad-name": "v" } }] })).toThrow(/label name/);
  });
});

describe("a real Prometheus scraping the local mesh", () => {
  let mesh: Mesh;
  let up: FakeUpstream[];
  let tmp: { dir: string; remove: () => void };
  let sup: Supervisor;
  let promUrl: string;
  let dataUrl: string;

  beforeAll(async () => {
    up = await Promise.all([fakeUpstream("primary"), fakeUpstream("burst")]);
    mesh = createMesh({ upstreams: { primary: [up[0].url], burst: [up[1].url] } });
    const addr = await mesh.listen({});
    dataUrl = addr.dataUrl;
    tmp = makeTempDir("local-prom");
    mkdirSync(join(tmp.dir, "logs"));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = join(tmp.dir, "prometheus.yml");
    writeFileSync(config, renderPrometheusConfig({ jobs: [{ name: "local-mesh", targets: [`127.0.0.1:${addr.adminPort}`] }] }));
    sup = new Supervisor({ logDir: join(tmp.dir, "logs"), graceMs: 5_000 });
    await sup.start({
      name: "prometheus",
      command: requireProgram("prometheus", "prometheus"),
      args: prometheusArgs({ configFile: config, dataDir: join(tmp.dir, "data"), listenAddress: `127.0.0.1:${port}` }),
      ready: { http: `${promUrl}/-/ready` },
    });
  });

  afterAll(async () => {
    await sup?.stopAll();
    await mesh?.close(100);
    await Promise.all((up ?? []).map((u) => u.close()));
    tmp?.remove();
  });

  async function instant(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const r = await request(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    expect(r.status).toBe(200);
    return r.json<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>().data.result;
  }

  it("yields the request rate through the watcher's default query, and the split by destination_cluster", async () => {
    mesh.setWeights({ primary: 50, burst: 50 });
    // ~40 requests/s for a while, paced, so that a 5 s rate() sees a steady value
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await Promise.all(Array.from({ length: 4 }, () => request(`${dataUrl}/`, { method: "POST", body: "{}", agent })));
        await sleep(100);
      }
    })();
    try {
      const total = await waitFor(
        "a rate from the default query",
        async () => {
          const r = await instant(defaultRateQuery(DEFAULT_NAMESPACE, "5s"));
          return r.length === 1 && Number(r[0].value[1]) > 5 ? Number(r[0].value[1]) : undefined;
        },
        30_000,
        500,
      );
      expect(total).toBeGreaterThan(5);
      const split = await instant(`${defaultRateQuery(DEFAULT_NAMESPACE, "5s").replace(/\)$/, "")}) by (destination_cluster)`);
      const byCluster = Object.fromEntries(split.map((s) => [s.metric.destination_cluster, Number(s.value[1])]));
      expect(Object.keys(byCluster).sort()).toEqual(["burst", "primary"]);
      expect(byCluster.primary).toBeGreaterThan(0);
      expect(byCluster.burst).toBeGreaterThan(0);
    } finally {
      sending = false;
      await sender;
      agent.destroy();
    }
  });
});
