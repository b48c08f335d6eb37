/**
 * The worker app in-process against a real redis-server: what it publishes, how it refuses bad
 * input, and how it behaves when Redis goes away and comes back.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createLogger, listen } from "@istio-burst/common";
import { createWorker, type Worker } from "../../../apps/worker/src/app";
import type { WorkerConfig } from "../../../apps/worker/src/config";
import { startRedis, waitFor, type RedisServer } from "../../helpers/services";
import { postJson, request, subscribe, waitForMessages } from "./helpers";

/** Independent of the worker's code: rounds of sha256, the first over UTF-8, later ones over raw bytes. */
function expectedHash(str: string, rounds: number): string {
  let d = createHash("sha256").update(Buffer.from(str, "utf8")).digest();
  for (let i = 1; i < rounds; i++) d = createHash("sha256").update(d).digest();
  return d.toString("base64");
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

async function startWorker(overrides: Partial<WorkerConfig> = {}): Promise<{ worker: Worker; url: string }> {
  const config: WorkerConfig = { port: 0, redisUrl: redis.url, prefix: "", hashRounds: 1, ...overrides };
  const worker = createWorker(config, { log: createLogger("worker", "silent") });
  const port = await listen(worker.server, 0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  await waitFor("worker ready", async () => (await request(`${url}/_healthz`)).status === 200);
  return { worker, url };
}

describe.each([
  { prefix: "", hashRounds: 1 },
  { prefix: "bursty-", hashRounds: 1 },
  { prefix: "bursty-", hashRounds: 3 },
  { prefix: "p/", hashRounds: 1000 },
])("POST / with PREFIX=$prefix HASH_ROUNDS=$hashRounds", ({ prefix, hashRounds }) => {
  let w: { worker: Worker; url: string };
  beforeAll(async () => {
    w = await startWorker({ prefix, hashRounds });
  });
  afterAll(async () => {
    await w?.worker.close();
  });

  it("publishes exactly PREFIX + base64(h(HASH_ROUNDS)) on `calculation` and answers it", async () => {
    const sub = await subscribe(redis.url);
    try {
      const inputs = ["hello", "", "héllo wörld 🌍", "a".repeat(10_000), '{"str": "nested"}'];
      for (const str of inputs) {
        const res = await postJson(`${w.url}/`, { str });
        expect(res.status).toBe(200);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ hash: prefix + expectedHash(str, hashRounds) });
      }
      await waitForMessages(sub.messages, inputs.length);
      expect(sub.messages).toEqual(inputs.map((s) => prefix + expectedHash(s, hashRounds)));
      if (hashRounds === 1) expect(sub.messages[0]).toBe(`${prefix}LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=`);
    } finally {
      await sub.close();
    }
  });
});

describe("bad input", () => {
  let w: { worker: Worker; url: string };
  beforeAll(async () => {
    w = await startWorker({ prefix: "x-" });
  });
  afterAll(async () => {
    await w?.worker.close();
  });

  const json = { "content-type": "application/json" };
  type Opts = { method?: string; body?: string | Buffer; headers?: Record<string, string> };
  it.each<[string, number, string, Opts, RegExp]>([
    ["not JSON", 400, "/", { body: "hello", headers: json }, /JSON/],
    ["empty body", 400, "/", { method: "POST", body: "", headers: json }, /JSON/],
    ["truncated JSON", 400, "/", { body: '{"str": "a"', headers: json }, /JSON/],
    ["str missing", 400, "/", { body: "{}", headers: json }, /"str" is missing/],
    ["str a number", 400, "/", { body: '{"str": 5}', headers: json }, /must be a string/],
    ["str null", 400, "/", { body: '{"str": null}', headers: json }, /must be a string/],
    ["str an array", 400, "/", { body: '{"str": ["a"]}', headers: json }, /must be a string/],
    ["str an object", 400, "/", { body: '{"str": {"a": 1}}', headers: json }, /must be a string/],
    ["a JSON string", 400, "/", { body: '"hello"', headers: json }, /JSON object/],
    ["a JSON array", 400, "/", { body: '[{"str": "a"}]', headers: json }, /JSON object/],
    ["JSON null", 400, "/", { body: "null", headers: json }, /JSON object/],
    ["body over 64 KiB", 413, "/", { body: JSON.stringify({ str: "a".repeat(64 * 1024) }), headers: json }, /larger than 65536/],
    ["PUT /", 405, "/", { method: "PUT", body: '{"str": "a"}' }, /not allowed/],
    ["DELETE /", 405, "/", { method: "DELETE" }, /not allowed/],
    ["PATCH /", 405, "/", { method: "PATCH", body: '{"str": "a"}' }, /not allowed/],
    ["POST /hash", 404, "/hash", { method: "POST", body: '{"str": "a"}' }, /no route/],
    ["GET /nope", 404, "/nope", { method: "GET" }, /no route/],
  ])("%s -> %i JSON error, nothing published, still serving", async (_name, status, path, opts, message) => {
    const sub = await subscribe(redis.url);
    try {
      const res = await request(`${w.url}${path}`, opts);
      expect(res.status).toBe(status);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect((res.json() as { error: string }).error).toMatch(message);
      if (status === 405) expect(res.headers.allow).toBe("GET, HEAD, POST");
      // A good request afterwards is answered, and its hash is the only message on the channel:
      // pub/sub keeps order on one connection, so a stray publish from the bad request would come first.
      const ok = await postJson(`${w.url}/`, { str: "sentinel" });
      expect(ok.status).toBe(200);
      await waitForMessages(sub.messages, 1);
      expect(sub.messages).toEqual([`x-${expectedHash("sentinel", 1)}`]);
    } finally {
      await sub.close();
    }
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const str = "b".repeat(64 * 1024 - '{"str":""}'.length);
    const body = JSON.stringify({ str });
    expect(Buffer.byteLength(body)).toBe(64 * 1024);
    const res = await request(`${w.url}/`, { body });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ hash: `x-${expectedHash(str, 1)}` });
  });

  it("refuses an oversized chunked body (no content-length) with 413 and publishes nothing", async () => {
    const sub = await subscribe(redis.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${w.url}/`, { method: "POST", agent: false, headers: { "transfer-encoding": "chunked" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write('{"str": "');
        for (let i = 0; i < 9; i++) req.write("c".repeat(8 * 1024));
        req.end('"}');
      });
      expect(status).toBe(413);
      expect((await postJson(`${w.url}/`, { str: "after" })).status).toBe(200);
      await waitForMessages(sub.messages, 1);
      expect(sub.messages).toEqual([`x-${expectedHash("after", 1)}`]);
    } finally {
      await sub.close();
    }
  });

  it("answers liveness, readiness and metrics", async () => {
    const live = await request(`${w.url}/`);
    expect([live.status, live.text]).toEqual([200, "ok"]);
    expect((await request(`${w.url}/?probe=1`)).text).toBe("ok");
    const ready = await request(`${w.url}/_healthz`);
    expect(ready.status).toBe(200);
    const metrics = await request(`${w.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^worker_requests_total\{code="200",service="worker"\} [1-9]/m);
    expect(metrics.text).toMatch(/^worker_requests_total\{code="400",service="worker"\} [1-9]/m);
    expect(metrics.text).toMatch(/^worker_requests_total\{code="413",service="worker"\} [1-9]/m);
    expect(metrics.text).toMatch(/^worker_redis_connected\{service="worker"\} 1$/m);
    expect(metrics.text).toMatch(/^process_cpu_user_seconds_total/m);
  });
});

describe("Redis outage", () => {
  it("answers 503 while Redis is down, never crashes, and recovers by itself", async () => {
    const own = await startRedis();
    const config: WorkerConfig = { port: 0, redisUrl: own.url, prefix: "", hashRounds: 1 };
    const worker = createWorker(config, { log: createLogger("worker", "silent") });
    const url = `http://127.0.0.1:${await listen(worker.server, 0, "127.0.0.1")}`;
    try {
      await waitFor("worker ready", async () => (await request(`${url}/_healthz`)).status === 200);
      expect((await postJson(`${url}/`, { str: "before" })).status).toBe(200);

      // Requests racing with the outage: each one is either delivered (200) or refused (503).
      const racing = Array.from({ length: 50 }, (_, i) => postJson(`${url}/`, { str: `race ${i}` }));
      await own.stop();
      for (const res of await Promise.all(racing)) expect([200, 503]).toContain(res.status);
      await waitFor("healthz 503", async () => (await request(`${url}/_healthz`)).status === 503);
      const during = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(`${url}/`, { str: `during ${i}` })));
      for (const res of during) {
        expect(res.status).toBe(503);
        expect((res.json() as { error: string }).error).toMatch(/redis unavailable, hash not published/);
      }
      expect((await request(`${url}/`)).text).toBe("ok");
      const metrics = await request(`${url}/metrics`);
      expect(metrics.text).toMatch(/^worker_redis_connected\{service="worker"\} 0$/m);
      const refused = Number(/^worker_publish_errors_total\{service="worker"\} (\d+)$/m.exec(metrics.text)?.[1]);
      expect(refused).toBeGreaterThanOrEqual(20);

      await own.start();
      const sub = await subscribe(own.url);
      try {
        await waitFor("healthz 200 again", async () => (await request(`${url}/_healthz`)).status === 200);
        const after = await postJson(`${url}/`, { str: "after" });
        expect(after.status).toBe(200);
        await waitForMessages(sub.messages, 1);
        // Nothing refused during the outage was queued and delivered later.
        expect(sub.messages).toEqual([expectedHash("after", 1)]);
      } finally {
        await sub.close();
      }
    } finally {
      await worker.close();
      await own.dispose();
    }
  });

  it("starts without Redis (healthz 503, POST 503) and connects when it appears", async () => {
    const own = await startRedis();
    await own.stop();
    const worker = createWorker({ port: 0, redisUrl: own.url, prefix: "", hashRounds: 1 }, { log: createLogger("worker", "silent") });
    const url = `http://127.0.0.1:${await listen(worker.server, 0, "127.0.0.1")}`;
    try {
      expect((await request(`${url}/_healthz`)).status).toBe(503);
      expect((await postJson(`${url}/`, { str: "x" })).status).toBe(503);
      await own.start();
      await waitFor("healthz 200", async () => (await request(`${url}/_healthz`)).status === 200);
      expect((await postJson(`${url}/`, { str: "x" })).status).toBe(200);
    } finally {
      await worker.close();
      await own.dispose();
    }
  });
});
