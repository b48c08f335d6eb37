/**
 * startLocal's port handling and start-up failures (the full flow is in e2e.test.ts).
 * Needs `npm run build` first (npm test does it).
 */
import { readdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { PassThrough } from "node:stream";
import { startLocal, StartLocalError } from "../../local/src/run";
import { pidAlive } from "../../local/src/supervisor";
import { request } from "../helpers/local-http";
import { makeTempDir, waitFor } from "../helpers/services";

jest.setTimeout(120_000);

const quiet = () => ({ out: new PassThrough().resume(), err: new PassThrough().resume() });
const tempDirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith("istio-burst-local-")));

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
  // Its own TMPDIR (os.tmpdir() reads it on each call), so that the temp dirs these tests look for
  // are this file's, not those of local-mode runs in other test files running at the same time.
  const savedTmp = process.env.TMPDIR;
  let privateTmp: { dir: string; remove: () => void };
  beforeAll(() => {
    privateTmp = makeTempDir("run-test-tmp");
    process.env.TMPDIR = privateTmp.dir;
  });
  afterAll(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    privateTmp.remove();
  });

  it("takes consecutive internal ports from --base-port", async () => {
    const base = await freeBase(7);
    const run = await startLocal({ ...quiet(), port: 0, basePort: base });
    try {
      const port = (u: string) => Number(new URL(u).port);
      expect([port(run.urls.redis), port(run.urls.mesh), port(run.urls.meshAdmin), port(run.urls.prometheus), port(run.urls.watcher), port(run.urls.workers.primary[0]), port(run.urls.workers.burst[0])]).toEqual(
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
    const before = tempDirs();
    try {
      await expect(startLocal({ ...quiet(), port: 0, basePort: base })).rejects.toThrow(`port ${base + 2} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
    expect([...tempDirs()].filter((d) => !before.has(d))).toEqual([]);
  });

  it("refuses settings that cannot work together", async () => {
    await expect(startLocal({ ...quiet(), port: 0, highRps: 5, lowRps: 5 })).rejects.toThrow("--low-rps (5) must be below --high-rps (5)");
  });

  it("stops what it started when aborted during start-up", async () => {
    const abort = new AbortController();
    const before = tempDirs();
    const started = startLocal({ ...quiet(), port: 0, signal: abort.signal });
    // abort once some parts run: the log dir has a file for each started part
    await waitFor(
      "a part to start",
      () => {
        const dirs = [...tempDirs()].filter((d) => !before.has(d));
        if (dirs.length !== 1) return false;
        const logs = readdirSync(`${tmpdir()}/${dirs[0]}/logs`);
        return logs.length >= 2;
      },
      30_000,
      20,
    );
    abort.abort();
    const error = (await started.then(
      () => undefined,
      (e: unknown) => e,
    )) as StartLocalError;
    expect(error).toBeInstanceOf(StartLocalError);
    expect(error.message).toBe("start-up aborted");
    expect(error.stopped.length).toBeGreaterThanOrEqual(1);
    for (const c of error.stopped) expect(pidAlive(c.pid)).toBe(false);
    expect([...tempDirs()].filter((d) => !before.has(d))).toEqual([]);
  });
});
