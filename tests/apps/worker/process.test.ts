/**
 * The built worker program (`node apps/worker/dist/index.js`, built by `npm test` before jest):
 * graceful SIGTERM with a request in flight, and refusal of bad configuration.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { builtProgram, programWithRedis, startupRefusal } from "../../helpers/programs";
import { freePort, sleep, stopChild, waitFor } from "../../helpers/services";
import { postJson, request, subscribe, waitForMessages, within } from "./helpers";

const { program: PROGRAM, redis, run } = programWithRedis(builtProgram("apps/worker/dist/index.js"));

describe("worker program", () => {
  it("on SIGTERM finishes the request in flight, refuses new ones, and exits 0 within 10 s", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, output } = run({ PORT: String(port), REDIS_URL: redis().hostPort, PREFIX: "bursty-" });
    try {
      await waitFor("worker ready", async () => (await request(`${url}/_healthz`)).status === 200);
      const sub = await subscribe(redis().url);
      try {
        // A slow client: headers and half the body now, the rest after SIGTERM.
        const body = JSON.stringify({ str: "in flight" });
        let firstByte!: () => void;
        const wrote = new Promise<void>((r) => (firstByte = r));
        const inflight = new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = httpRequest(`${url}/`, { method: "POST", agent: false, headers: { "content-length": Buffer.byteLength(body) } }, (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on("error", reject);
          req.write(body.slice(0, 5), () => firstByte());
          setTimeout(() => req.end(body.slice(5)), 1_500);
        });
        await wrote;
        await sleep(100);
        const signalled = Date.now();
        const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
        child.kill("SIGTERM");
        await sleep(300);
        // No longer accepting: a new connection is refused while the in-flight request is served.
        await expect(postJson(`${url}/`, { str: "late" }, 2_000)).rejects.toThrow();

        const res = await inflight;
        const expected = `bursty-${createHash("sha256").update("in flight").digest("base64")}`;
        expect(res.status).toBe(200);
        expect(JSON.parse(res.text)).toEqual({ hash: expected });
        await waitForMessages(sub.messages, 1);
        expect(sub.messages).toEqual([expected]);

        const code = await within(exited, 10_000, "still running");
        expect(code).toBe(0);
        expect(Date.now() - signalled).toBeLessThan(10_000);
        expect(output()).toMatch(/"msg":"shutting down"/);
        expect(output()).toMatch(/"msg":"stopped"/);
      } finally {
        await sub.close();
      }
    } finally {
      await stopChild(child, "SIGKILL");
    }
  });

  it("exits 0 promptly on SIGTERM when idle, also while Redis is unreachable", async () => {
    const port = await freePort();
    const { child } = run({ PORT: String(port), REDIS_URL: `127.0.0.1:${await freePort()}` });
    try {
      await waitFor("worker listening", async () => (await request(`http://127.0.0.1:${port}/`)).text === "ok");
      expect((await request(`http://127.0.0.1:${port}/_healthz`)).status).toBe(503);
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await within(exited, 10_000, "still running")).toBe(0);
    } finally {
      await stopChild(child, "SIGKILL");
    }
  });

  it.each([
    ["PORT", "http"],
    ["PORT", "70000"],
    ["REDIS_URL", "localhost"],
    ["REDIS_URL", "http://redis:6379"],
    ["HASH_ROUNDS", "0"],
    ["HASH_ROUNDS", "1.5"],
    ["HASH_ROUNDS", "many"],
  ])("%s=%s exits non-zero at start with one line naming it", (name, value) => {
    const line = startupRefusal(PROGRAM, { [name]: value });
    expect(line).toContain(`${name}=${JSON.stringify(value)} is invalid: must be`);
  });
});
