/**
 * The built frontend program (`node apps/frontend/dist/index.js`): it serves the page and its
 * assets from its own files and node_modules, shuts down cleanly on SIGTERM while sending, and
 * refuses bad configuration with one line naming the variable.
 */
import { builtProgram, programWithRedis, startupRefusal } from "../../helpers/programs";
import { freePort, stopChild, waitFor } from "../../helpers/services";
import { postJson, request, within } from "../worker/helpers";
import { startCountingProcessor } from "./helpers";

const { program: PROGRAM, redis, run } = programWithRedis(builtProgram("apps/frontend/dist/index.js"));

describe("frontend program", () => {
  it("serves the page and its local assets, then exits 0 on SIGTERM while sending", async () => {
    const processor = await startCountingProcessor();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, output } = run({ PORT: String(port), REDIS_URL: redis().hostPort, PROCESSOR_URL: processor.url, INITIAL_FREQ: "30" });
    try {
      await waitFor("frontend ready", async () => (await request(`${url}/_healthz`)).status === 200);
      const page = await request(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.text).toContain("<title>String Hashr</title>");
      const assets = [...page.text.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets).toEqual(expect.arrayContaining(["/vendor/bootstrap/css/bootstrap.min.css", "/vendor/chart.js/chart.umd.min.js", "/socket.io/socket.io.min.js", "/app.js", "/style.css"]));
      for (const asset of assets) {
        const res = await request(`${url}${asset}`);
        expect([asset, res.status]).toEqual([asset, 200]);
        expect(res.text.length).toBeGreaterThan(100);
      }

      await waitFor("sending at INITIAL_FREQ", () => processor.count() > 5);
      expect(((await request(`${url}/api/stats`)).json() as { freq: number }).freq).toBe(30);

      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      const signalled = Date.now();
      child.kill("SIGTERM");
      expect(await within(exited, 10_000, "still running")).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      const sent = processor.count();
      await expect(postJson(`${url}/api/frequency`, { freq: 1 }, 1_000)).rejects.toThrow();
      expect(processor.count()).toBe(sent);
      expect(output()).toMatch(/"msg":"stopped"/);
    } finally {
      await stopChild(child, "SIGKILL");
      await processor.close();
    }
  });

  it.each([
    ["PORT", "-1"],
    ["PROCESSOR_URL", "worker-service"],
    ["PROCESSOR_URL", "ftp://worker"],
    ["REDIS_URL", "redis"],
    ["MAX_FREQ", "0"],
    ["MAX_FREQ", "lots"],
    ["INITIAL_FREQ", "6000"],
    ["REQUEST_TIMEOUT", "soon"],
    ["MAX_IN_FLIGHT", "0"],
    ["WATCHER_URL", "istio-watcher"],
    ["WATCHER_URL", "ftp://istio-watcher"],
  ])("%s=%s exits non-zero at start with one line naming it", (name, value) => {
    const line = startupRefusal(PROGRAM, { [name]: value });
    expect(line).toMatch(new RegExp(`^frontend: ${name}=".*" is invalid: must be`));
  });
});
