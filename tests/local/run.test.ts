/**
 * startLocal's port handling and start-up failures (the full flow is in e2e.test.ts).
 * Needs `npm run build` first (npm test does it).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import * as localConfig from "../../local/src/config";
import { startLocal, startLocalWith, StartLocalError } from "../../local/src/run";
import { pidAlive } from "../../local/src/supervisor";
import { request } from "../helpers/local-http";
import { httpOk, waitFor } from "../../packages/tooling/src/processes";

jest.setTimeout(120_000);

const quiet = () => ({ out: new PassThrough().resume(), err: new PassThrough().resume() });
/**
 * The temp dirs of runs whose internal ports start at `base`: their prometheus.yml scrapes the mesh's
 * admin port (base + 2). Other test files run local mode at the same time, in the same temp folder.
 */
function runDirsAt(base: number): string[] {
  const scrapesOurs = (dir: string) => {
    try {
      return readFileSync(join(dir, "prometheus.yml"), "utf8").includes(`"127.0.0.1:${base + 2}"`);
    } catch {
      return false;
    }
  };
  return readdirSync(tmpdir())
    .filter((d) => d.startsWith("istio-burst-local-"))
    .map((d) => join(tmpdir(), d))
    .filter(scrapesOurs);
}

async function listenOn(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r, j) => {
    s.once("error", j);
    s.listen(port, "127.0.0.1", () => r());
  });
  return s;
}

async function isFree(port: number): Promise<boolean> {
  try {
    (await listenOn(port)).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * A base with `n` free consecutive ports below the ephemeral range (32768+ on Linux), where
 * outgoing connections of parallel tests would not take them in the meantime.
 */
async function freeBase(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await Promise.all(Array.from({ length: n }, (_, i) => isFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

describe("startLocal", () => {
  it("takes consecutive internal ports from --base-port", async () => {
    const base = await freeBase(7);
    const run = await startLocal({ ...quiet(), port: 0, basePort: base });
    try {
      const port = (u: string) => Number(new URL(u).port);
      expect([port(run.urls.redis), port(run.urls.mesh), port(run.urls.meshAdmin), port(run.urls.prometheus), port(run.urls.watcher), port(run.urls.scaler), port(run.urls.workers.primary[0])]).toEqual(
        [0, 1, 2, 3, 4, 5, 6].map((i) => base + i),
      );
      expect((await request(`${run.urls.meshAdmin}/weights`)).json()).toEqual({ primary: 100, burst: 0 });
    } finally {
      await run.stop();
    }
    for (const c of run.children) expect(pidAlive(c.pid)).toBe(false);
  });

  it("refuses a taken internal port before starting anything", async () => {
    const base = await freeBase(3);
    const blocker = await listenOn(base + 2);
    try {
      await expect(startLocal({ ...quiet(), port: 0, basePort: base })).rejects.toThrow(`port ${base + 2} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
    expect(runDirsAt(base)).toEqual([]);
  });

  it("takes settings parsed already as they are: parsed once, not turned back into text (startLocalWith, the CLI's way)", async () => {
    const parsed = localConfig.parseLocalConfig(["--port", "0"], {});
    if (parsed.help) throw new Error("unexpected help");
    const base = await freeBase(3);
    const blocker = await listenOn(base + 2);
    const resolve = jest.spyOn(localConfig, "resolveConfig");
    try {
      // the config's own basePort, given in code after parsing, is the one used
      await expect(startLocalWith({ ...parsed.config, basePort: base }, quiet())).rejects.toThrow(`port ${base + 2} on 127.0.0.1 is in use`);
      expect(resolve).not.toHaveBeenCalled();
    } finally {
      resolve.mockRestore();
      blocker.close();
    }
  });

  it("refuses settings that cannot work together", async () => {
    await expect(startLocal({ ...quiet(), port: 0, highRps: 5, lowRps: 5 })).rejects.toThrow('--low-rps="5" is invalid: must be a number below --high-rps (5)');
  });

  it("stops what it started when aborted during start-up", async () => {
    const base = await freeBase(7);
    const abort = new AbortController();
    const started = startLocal({ ...quiet(), port: 0, basePort: base, signal: abort.signal });
    const [dir] = await waitFor("its temp dir", () => runDirsAt(base), 30_000, 20);
    // abort once some parts run: the workers (base + 5, base + 6) come after Redis
    await waitFor("a worker to answer", () => httpOk(`http://127.0.0.1:${base + 5}/_healthz`), 30_000, 20);
    abort.abort();
    const error = (await started.then(
      () => undefined,
      (e: unknown) => e,
    )) as StartLocalError;
    expect(error).toBeInstanceOf(StartLocalError);
    expect(error.message).toBe("start-up aborted");
    expect(error.stopped.length).toBeGreaterThanOrEqual(2);
    for (const c of error.stopped) expect(pidAlive(c.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
