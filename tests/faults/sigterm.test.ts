/**
 * Every service (worker, frontend, watcher, mesh) exits 0 on SIGTERM within its bound (10 s) even
 * when nobody reads its output any more (the process that started it has gone: stdout and stderr
 * are closed, each log line fails with EPIPE) and clients keep connections open: an idle
 * keep-alive client everywhere, a browser's socket.io connection on the frontend, and on the mesh a
 * request still in flight to an upstream that never answers (closed after the mesh's grace time).
 * The worker gets the hardest case: its Redis has gone too.
 *
 * Needs `npm run build` first (npm test does it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { io as ioClient, type Socket as IoSocket } from "socket.io-client";
import { builtProgram, ROOT } from "../helpers/programs";
import { freePort, startRedis, waitFor, type RedisServer } from "../helpers/services";
import { startFakeMesh, type FakeMesh } from "../watcher/fake-mesh";

jest.setTimeout(60_000);

/** The documented bound: SIGTERM drains in-flight requests and exits within 10 s. */
const BOUND_MS = 10_000;

/** A GET over `agent`; resolves with the status once the body is read (the socket stays with the agent). */
function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

/** A Prometheus stand-in: every query answers 1 request/s. */
function cannedPrometheus(): http.Server {
  return http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [Date.now() / 1000, "1"] }] } }));
  });
}

const listening = <T extends http.Server | TcpServer>(server: T): Promise<T> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
const portOf = (server: http.Server | TcpServer) => (server.address() as { port: number }).port;

interface Case {
  name: string;
  program: string;
  env: (port: number) => Record<string, string>;
  /** where the keep-alive client connects, and readiness is checked (`<url>/_healthz`) */
  url: (port: number) => string;
  /** after readiness, before stdout is closed */
  before?: (url: string) => Promise<void>;
  /** more open connections; returns how to close them */
  clients?: (url: string) => Promise<() => void>;
  /** exit 0 expected within this long of SIGTERM (a request in flight holds the mesh for its grace time) */
  expectedMs?: [number, number];
}

describe("services exit on SIGTERM within their bound with stdout closed and clients connected", () => {
  let redis: RedisServer;
  let workerRedis: RedisServer;
  let mesh: FakeMesh;
  let prometheus: http.Server;
  /** accepts connections and never answers: a stuck upstream */
  let silent: TcpServer;
  const held: Socket[] = [];
  // (concurrent tests do not wait for beforeAll: each awaits this instead)
  let ready: Promise<unknown> | undefined;
  const setUp = () =>
    (ready ??= Promise.all([
      startRedis(),
      startRedis(),
      startFakeMesh({ primary: 100, burst: 0 }),
      listening(cannedPrometheus()),
      listening(createTcpServer((s) => held.push(s))),
    ]).then((r) => ([redis, workerRedis, mesh, prometheus, silent] = r)));
  afterAll(async () => {
    await ready?.catch(() => undefined);
    for (const s of held) s.destroy();
    silent?.close();
    prometheus?.close();
    await Promise.all([redis?.dispose(), workerRedis?.dispose(), mesh?.close()]);
  });

  const cases: Case[] = [
    {
      name: "worker (its Redis gone too)",
      program: "apps/worker/dist/index.js",
      env: (port) => ({ PORT: String(port), REDIS_URL: workerRedis.hostPort }),
      url: (port) => `http://127.0.0.1:${port}`,
      before: async (url) => {
        await workerRedis.stop();
        await waitFor("the worker to notice", async () => (await get(`${url}/_healthz`, new http.Agent())) === 503, 10_000);
      },
    },
    {
      name: "frontend",
      program: "apps/frontend/dist/index.js",
      env: (port) => ({ PORT: String(port), REDIS_URL: redis.hostPort, PROCESSOR_URL: `http://127.0.0.1:${portOf(silent)}` }),
      url: (port) => `http://127.0.0.1:${port}`,
    },
    {
      name: "frontend (a browser connected over socket.io)",
      program: "apps/frontend/dist/index.js",
      env: (port) => ({ PORT: String(port), REDIS_URL: redis.hostPort, PROCESSOR_URL: `http://127.0.0.1:${portOf(silent)}` }),
      url: (port) => `http://127.0.0.1:${port}`,
      clients: async (url) => {
        const socket: IoSocket = ioClient(url, { transports: ["websocket"], reconnection: false });
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", reject);
        });
        return () => socket.close();
      },
    },
    {
      name: "watcher",
      program: "watcher/dist/index.js",
      env: (port) => ({ PORT: String(port), ROUTER: "local", MESH_URL: mesh.url, PROMETHEUS_URL: `http://127.0.0.1:${portOf(prometheus)}`, POLL_INTERVAL: "200ms" }),
      url: (port) => `http://127.0.0.1:${port}`,
    },
    {
      name: "mesh",
      program: "local/dist/mesh-main.js",
      // PORT: the data port (forwarded traffic); the admin port is PORT + 1 (checked free below)
      env: (port) => ({ PORT: String(port), ADMIN_PORT: String(port + 1), PRIMARY_UPSTREAMS: `127.0.0.1:${portOf(silent)}` }),
      url: (port) => `http://127.0.0.1:${port + 1}`,
    },
    {
      name: "mesh (a request in flight to an upstream that never answers)",
      program: "local/dist/mesh-main.js",
      // PORT: the data port (forwarded traffic); the admin port is PORT + 1 (checked free below)
      env: (port) => ({ PORT: String(port), ADMIN_PORT: String(port + 1), PRIMARY_UPSTREAMS: `127.0.0.1:${portOf(silent)}` }),
      url: (port) => `http://127.0.0.1:${port + 1}`,
      clients: async (url) => {
        const agent = new http.Agent({ keepAlive: true });
        const dataUrl = url.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) - 1}`);
        const before = held.length;
        const req = http.request(`${dataUrl}/`, { method: "POST", agent, headers: { "content-type": "application/json" } });
        req.on("error", () => undefined);
        req.end(JSON.stringify({ str: "stuck" }));
        await waitFor("the request to reach the upstream", () => held.length > before, 5_000);
        return () => agent.destroy();
      },
      // the mesh lets the data port drain for 5 s, then closes what is left
      expectedMs: [4_000, BOUND_MS],
    },
  ];

  async function portPair(): Promise<number> {
    for (;;) {
      const port = await freePort();
      const free = await new Promise<boolean>((resolve) => {
        const s = createTcpServer();
        s.once("error", () => resolve(false));
        s.listen(port + 1, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      if (free) return port;
    }
  }

  it.concurrent.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await setUp();
    const port = await portPair();
    const url = c.url(port);
    const child: ChildProcess = spawn(process.execPath, [builtProgram(c.program)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...c.env(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
      child.once("exit", (code, signal) => r({ code, signal, at: Date.now() })),
    );
    const agent = new http.Agent({ keepAlive: true });
    let closeClients = () => undefined as void;
    try {
      await waitFor(`${c.name} ready`, async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
        return (await get(`${url}/_healthz`, new http.Agent())) === 200;
      }, 20_000, 100);
      await c.before?.(url);
      // Whoever started it has gone: nobody reads its output any more.
      child.stdout!.destroy();
      child.stderr!.destroy();
      await get(`${url}/_healthz`, agent);
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1); // an idle keep-alive connection
      closeClients = (await c.clients?.(url)) ?? closeClients;

      const signalled = Date.now();
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), BOUND_MS + 2_000)))]);
      clearTimeout(timer);
      if (result === undefined) throw new Error(`${c.name} still runs ${BOUND_MS + 2_000} ms after SIGTERM`);
      const took = result.at - signalled;
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
      const [min, max] = c.expectedMs ?? [0, 2_000];
      expect(took).toBeGreaterThanOrEqual(min);
      expect(took).toBeLessThan(max);
    } finally {
      closeClients();
      agent.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
