import http from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { createMesh, parseUpstreams, type Mesh } from "../../local/src/mesh";
import { fakeUpstream, parseMetrics, request, sendJsonTo, type FakeUpstream } from "../helpers/local-http";
import { freePort } from "../../packages/tooling/src/processes";

interface Running {
  mesh: Mesh;
  data: string;
  admin: string;
}

async function startMesh(upstreams: { primary: string[]; burst: string[] }, extra: Partial<Parameters<typeof createMesh>[0]> = {}): Promise<Running> {
  const mesh = createMesh({ upstreams, ...extra });
  const a = await mesh.listen({ host: "127.0.0.1" });
  return { mesh, data: a.dataUrl, admin: a.adminUrl };
}

const ISTIO_LABELS = {
  reporter: "source",
  source_workload: "frontend-deployment",
  source_workload_namespace: "default",
  source_cluster: "primary",
  destination_workload: "worker-deployment",
  destination_workload_namespace: "default",
  destination_service: "worker-service.default.svc.cluster.local",
  destination_service_name: "worker-service",
  destination_service_namespace: "default",
  request_protocol: "http",
};

async function requestsTotal(admin: string) {
  const res = await request(`${admin}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(res.text).filter((s) => s.name === "istio_requests_total");
}

/** Sends n POSTs through the mesh with a keep-alive agent, `concurrency` at a time; returns upstream names. */
async function fire(data: string, n: number, concurrency = 8): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const names: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      const r = await request(`${data}/`, { method: "POST", body: JSON.stringify({ str: "x" }), headers: { "content-type": "application/json" }, agent });
      expect(r.status).toBe(200);
      names.push(r.json<{ name: string }>().name);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return names;
}

const count = (names: string[], prefix: string) => names.filter((n) => n.startsWith(prefix)).length;

describe("local mesh", () => {
  let ups: FakeUpstream[] = [];
  let run: Running;

  beforeEach(async () => {
    ups = await Promise.all([fakeUpstream("primary-1"), fakeUpstream("primary-2"), fakeUpstream("burst-1")]);
    run = await startMesh({ primary: [ups[0].url, ups[1].url], burst: [ups[2].url] });
  });
  afterEach(async () => {
    await run.mesh.close(100);
    await Promise.all(ups.map((u) => u.close()));
  });

  describe("admin API", () => {
    it("starts with the natural weights and reads back what PUT sets", async () => {
      expect((await request(`${run.admin}/weights`)).json()).toEqual({ primary: 100, burst: 0 });
      const put = await sendJsonTo(`${run.admin}/weights`, "PUT", { primary: 30, burst: 70 });
      expect(put.status).toBe(200);
      expect(put.json()).toEqual({ primary: 30, burst: 70 });
      expect((await request(`${run.admin}/weights`)).json()).toEqual({ primary: 30, burst: 70 });
      expect(run.mesh.getWeights()).toEqual({ primary: 30, burst: 70 });
    });

    it.each([
      ["not JSON", "{primary: 50"],
      ["an array", [50, 50]],
      ["null", null],
      ["a missing key", { primary: 100 }],
      ["a string weight", { primary: "50", burst: 50 }],
      ["a fraction", { primary: 50.5, burst: 49.5 }],
      ["a negative weight", { primary: -10, burst: 110 }],
      ["a weight over 100", { primary: 101, burst: -1 }],
      ["a sum other than 100", { primary: 60, burst: 60 }],
      ["a sum below 100", { primary: 0, burst: 0 }],
    ])("refuses %s with a 400 JSON error and keeps the weights", async (_what, body) => {
      await sendJsonTo(`${run.admin}/weights`, "PUT", { primary: 80, burst: 20 });
      const res = await sendJsonTo(`${run.admin}/weights`, "PUT", typeof body === "string" ? body : JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(typeof res.json<{ error: unknown }>().error).toBe("string");
      expect((await request(`${run.admin}/weights`)).json()).toEqual({ primary: 80, burst: 20 });
    });

    it("answers 405 for other methods, 413 for a huge body, 404 elsewhere", async () => {
      const post = await sendJsonTo(`${run.admin}/weights`, "POST", { primary: 50, burst: 50 });
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe("GET, PUT");
      expect((await request(`${run.admin}/weights`, { method: "PUT", body: Buffer.alloc(10_000, 32) })).status).toBe(413);
      expect((await request(`${run.admin}/nope`)).status).toBe(404);
      expect((await request(`${run.admin}/_healthz`)).status).toBe(200);
    });
  });

  describe("forwarding", () => {
    it("sends everything to primary with the natural weights, round-robin over its processes", async () => {
      const names = await fire(run.data, 40);
      expect(count(names, "burst")).toBe(0);
      expect(count(names, "primary-1")).toBe(20);
      expect(count(names, "primary-2")).toBe(20);
    });

    it("sends everything to burst with 0/100", async () => {
      run.mesh.setWeights({ primary: 0, burst: 100 });
      const names = await fire(run.data, 40);
      expect(count(names, "burst-1")).toBe(40);
    });

    it.each([
      [70, 30],
      [50, 50],
      [10, 90],
      [97, 3],
    ])("splits %i/%i over 400 requests within 2 %%", async (p, b) => {
      const put = await sendJsonTo(`${run.admin}/weights`, "PUT", { primary: p, burst: b });
      expect(put.status).toBe(200);
      const names = await fire(run.data, 400);
      expect(names).toHaveLength(400);
      const burstShare = count(names, "burst") / names.length;
      expect(Math.abs(burstShare - b / 100)).toBeLessThanOrEqual(0.02);
      // round-robin inside the primary pool
      expect(Math.abs(count(names, "primary-1") - count(names, "primary-2"))).toBeLessThanOrEqual(1);
    });

    it("forwards any method, path, query, headers and a streamed body unchanged, and the answer back", async () => {
      const body = Buffer.alloc(3 * 1024 * 1024, 7);
      const res = await request(`${run.data}/weights/metrics?x=1&y=%20`, { method: "PATCH", body, headers: { "x-trace": "abc", "content-type": "application/octet-stream" } });
      expect(res.status).toBe(200);
      const seen = [...ups[0].seen, ...ups[1].seen];
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: "PATCH", url: "/weights/metrics?x=1&y=%20", bodyBytes: body.length });
      expect(seen[0].headers["x-trace"]).toBe("abc");
      expect(res.headers["x-upstream"]).toMatch(/^primary-/);
      // the admin paths are not taken away from forwarded traffic
      for (const path of ["/weights", "/metrics", "/_healthz"]) {
        const r = await request(`${run.data}${path}`);
        expect(r.json<{ url: string }>().url).toBe(path);
      }
    });

    it("streams a chunked request body (no content-length)", async () => {
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(`${run.data}/chunked`, { method: "POST", agent: false }, (r) => {
          let text = "";
          r.on("data", (c: Buffer) => (text += c.toString()));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, text }));
        });
        req.on("error", reject);
        for (let i = 0; i < 50; i++) req.write(Buffer.alloc(1000, i));
        req.end();
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).bodyBytes).toBe(50_000);
    });

    it("reuses upstream connections (keep-alive agent per pool)", async () => {
      await fire(run.data, 60, 1);
      expect(ups[0].connections() + ups[1].connections()).toBeLessThanOrEqual(4);
    });
  });

  describe("metrics", () => {
    it("exports istio_requests_total with Istio's labels, counted per destination_cluster and response_code", async () => {
      await fire(run.data, 10);
      run.mesh.setWeights({ primary: 0, burst: 100 });
      await fire(run.data, 6);
      expect((await request(`${run.data}/status/418`)).status).toBe(418);
      const samples = await requestsTotal(run.admin);
      for (const s of samples) {
        expect(Object.keys(s.labels).sort()).toEqual([...Object.keys(ISTIO_LABELS), "destination_cluster", "response_code", "response_flags"].sort());
        expect(s.labels).toMatchObject(ISTIO_LABELS);
      }
      const value = (cluster: string, code: string) =>
        samples.find((s) => s.labels.destination_cluster === cluster && s.labels.response_code === code)?.value;
      expect(value("primary", "200")).toBe(10);
      expect(value("burst", "200")).toBe(6);
      expect(value("burst", "418")).toBe(1);
      expect(samples).toHaveLength(3);

      const text = (await request(`${run.admin}/metrics`)).text;
      expect(text).toContain("# TYPE istio_requests_total counter");
      expect(text).toMatch(/^istio_request_duration_milliseconds_bucket\{le="0\.5",.*destination_cluster="burst",.*\} \d+$/m);
      expect(text).toMatch(/^local_mesh_route_weight\{destination_cluster="burst"\} 100$/m);
      // the watcher's default query selects exactly these series
      expect(text).toMatch(/istio_requests_total\{reporter="source",source_workload="frontend-deployment",.*destination_service="worker-service\.default\.svc\.cluster\.local"/);
    });
  });

  describe("upstream failures", () => {
    it("answers 503 and counts response_code 503 when a pool's process is down", async () => {
      const deadPort = await freePort();
      const dead = await startMesh({ primary: [ups[0].url], burst: [`http://127.0.0.1:${deadPort}`] }, { weights: { primary: 0, burst: 100 } });
      try {
        const res = await request(`${dead.data}/`, { method: "POST", body: "{}" });
        expect(res.status).toBe(503);
        expect(res.json<{ error: string }>().error).toMatch(/upstream connect error/);
        const samples = await requestsTotal(dead.admin);
        expect(samples).toHaveLength(1);
        expect(samples[0].labels).toMatchObject({ ...ISTIO_LABELS, destination_cluster: "burst", response_code: "503", response_flags: "UF" });
        expect(samples[0].value).toBe(1);
      } finally {
        await dead.mesh.close(100);
      }
    });

    it("answers 503 (no healthy upstream) for an empty pool", async () => {
      const empty = await startMesh({ primary: [ups[0].url], burst: [] }, { weights: { primary: 0, burst: 100 } });
      try {
        expect((await request(`${empty.data}/`)).status).toBe(503);
        const samples = await requestsTotal(empty.admin);
        expect(samples[0].labels).toMatchObject({ destination_cluster: "burst", response_code: "503", response_flags: "UH" });
      } finally {
        await empty.mesh.close(100);
      }
    });

    it("answers 502 for a garbled upstream answer and 504 for a silent one", async () => {
      const sockets = new Set<import("node:net").Socket>();
      const tcp = (handler: (s: import("node:net").Socket) => void) =>
        new Promise<TcpServer>((r) => {
          const srv = createTcpServer((s) => {
            sockets.add(s);
            s.on("error", () => undefined);
            handler(s);
          });
          srv.listen(0, "127.0.0.1", () => r(srv));
        });
      const garbled = await tcp((s) => s.once("data", () => s.end("this is not HTTP\r\n\r\n")));
      const silent = await tcp(() => undefined);
      const port = (s: TcpServer) => (s.address() as AddressInfo).port;
      const m = await startMesh({ primary: [`http://127.0.0.1:${port(garbled)}`], burst: [`http://127.0.0.1:${port(silent)}`] }, { upstreamTimeoutMs: 300 });
      try {
        expect((await request(`${m.data}/`, { method: "POST", body: "{}" })).status).toBe(502);
        m.mesh.setWeights({ primary: 0, burst: 100 });
        expect((await request(`${m.data}/`, { method: "POST", body: "{}" })).status).toBe(504);
        const samples = await requestsTotal(m.admin);
        const codes = samples.map((s) => `${s.labels.destination_cluster}:${s.labels.response_code}:${s.value}`).sort();
        expect(codes).toEqual(["burst:504:1", "primary:502:1"]);
      } finally {
        await m.mesh.close(100);
        for (const s of sockets) s.destroy();
        garbled.close();
        silent.close();
      }
    });
  });
});

describe("mesh-main parsing", () => {
  it("parses upstream lists", () => {
    expect(parseUpstreams("PRIMARY_UPSTREAMS", "127.0.0.1:1, http://localhost:2/")).toEqual(["http://127.0.0.1:1", "http://localhost:2"]);
    expect(parseUpstreams("BURST_UPSTREAMS", undefined)).toEqual([]);
    expect(() => parseUpstreams("BURST_UPSTREAMS", "nohost")).toThrow(/^BURST_UPSTREAMS=/);
  });
});
