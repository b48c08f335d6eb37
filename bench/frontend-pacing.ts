/**
 * Frontend pacing: the rate of requests that reach the processor against the asked rate. The frontend
 * (built program) sends to a counting server in this process that answers at once; the count over a
 * window after the rate is set, divided by rate × window, is the achieved ratio.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { freePort, sleep, startRedis, stopChild, waitForUrl } from "../packages/tooling/src/processes";
import { ROOT } from "./paths";

export interface PacingRun {
  asked: number;
  achievedPerS: number;
  achievedRatio: number;
}

async function setFreq(base: string, freq: number): Promise<void> {
  const res = await fetch(`${base}/api/frequency`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ freq }) });
  if (res.status !== 200) throw new Error(`POST /api/frequency ${freq} answered ${res.status}: ${await res.text()}`);
}

export async function runPacingBench(rates: number[] = [10, 100, 1000], windowS = 10): Promise<Record<string, PacingRun>> {
  let count = 0;
  const processor = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      count++;
      res.writeHead(200, { "content-type": "application/json" }).end('{"hash":"x"}');
    });
  });
  const processorPort = await freePort();
  await new Promise<void>((r) => processor.listen(processorPort, "127.0.0.1", r));
  const redis = await startRedis();
  const port = await freePort();
  const frontend = spawn(process.execPath, [join(ROOT, "apps/frontend/dist/index.js")], {
    env: { ...process.env, LOG_LEVEL: "warn", PORT: String(port), PROCESSOR_URL: `http://127.0.0.1:${processorPort}`, REDIS_URL: redis.url },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  const out: Record<string, PacingRun> = {};
  try {
    await waitForUrl(`${base}/_healthz`);
    for (const asked of rates) {
      await setFreq(base, asked);
      await sleep(1000); // settle
      const before = count;
      await sleep(windowS * 1000);
      const achievedPerS = (count - before) / windowS;
      out[String(asked)] = { asked, achievedPerS, achievedRatio: Math.round((achievedPerS / asked) * 1000) / 1000 };
      await setFreq(base, 0);
      await sleep(500);
    }
    return out;
  } finally {
    await stopChild(frontend);
    processor.close();
    await redis.dispose();
  }
}
