/**
 * npm run doctor's own logic: its options, the stack outputs it needs, its report and exit rule, and
 * the frontend/watcher link against a stand-in frontend. The links against the clusters run in
 * npm run test:e2e, against real API servers (injection, RBAC, the remote secret, the gateway).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report } from "../../doctor/src/index";
import { errorText, frontendAndWatcher, type StackView } from "../../doctor/src/links";
import { parseArgs, stackView } from "../../doctor/src/outputs";

const OUTPUTS = {
  primaryKubeconfig: "apiVersion: v1 # primary",
  burstKubeconfig: "apiVersion: v1 # burst",
  appNamespace: "default",
  remoteSecretName: "istio-system/istio-remote-secret-burst",
  eastWestGatewayAddress: "10.138.0.42",
  frontendUrl: "http://34.82.10.20/",
};

function outputsFile(outputs: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "istio-burst-doctor-")), "outputs.json");
  writeFileSync(file, JSON.stringify(outputs));
  return file;
}

describe("doctor options and outputs", () => {
  it("reads --stack, --outputs and --frontend-url, and refuses anything else with the usage", () => {
    expect(parseArgs(["--stack", "dev", "--outputs", "o.json", "--frontend-url", "http://x"])).toEqual({ stack: "dev", outputsFile: "o.json", frontendUrl: "http://x" });
    expect(() => parseArgs(["--stak", "dev"])).toThrow(/--stak is not an option; usage: npm run doctor/);
    expect(() => parseArgs(["--stack"])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(["--outputs", "--stack"])).toThrow(/--outputs needs a value/);
  });

  it("takes what it needs from the stack's outputs, the frontend from --frontend-url when given", () => {
    const view = stackView({ outputsFile: outputsFile(OUTPUTS) });
    expect(view).toEqual({
      primaryKubeconfig: OUTPUTS.primaryKubeconfig,
      burstKubeconfig: OUTPUTS.burstKubeconfig,
      namespace: "default",
      remoteSecretName: OUTPUTS.remoteSecretName,
      eastWestGatewayAddress: "10.138.0.42",
      frontendUrl: "http://34.82.10.20/",
    });
    expect(stackView({ outputsFile: outputsFile(OUTPUTS), frontendUrl: "http://127.0.0.1:8080" }).frontendUrl).toBe("http://127.0.0.1:8080");
  });

  it("names a missing output, and a secret one shown masked", () => {
    const { burstKubeconfig: _gone, ...rest } = OUTPUTS;
    expect(() => stackView({ outputsFile: outputsFile(rest) })).toThrow(/the stack has no output burstKubeconfig: run pulumi up first/);
    expect(() => stackView({ outputsFile: outputsFile({ ...OUTPUTS, primaryKubeconfig: "[secret]" }) })).toThrow(/no output primaryKubeconfig in clear \(pass --show-secrets\)/);
  });
});

describe("doctor report", () => {
  it("prints each link OK or FAIL with what to do, and counts the broken ones", () => {
    const text = report([
      { link: "a", ok: true, detail: "fine" },
      { link: "b", ok: false, detail: "broken", fix: "mend it" },
    ]);
    expect(text.split("\n")).toEqual(["  OK    a: fine", "  FAIL  b: broken", "        what to do: mend it", "doctor: 1 of 2 links broken"]);
    expect(report([{ link: "a", ok: true, detail: "fine" }]).split("\n").at(-1)).toBe("doctor: all 1 links OK");
  });

  it("reads the API server's message out of a client-node error", () => {
    expect(errorText({ body: JSON.stringify({ message: 'Internal error occurred: failed calling webhook "x"' }) })).toBe('Internal error occurred: failed calling webhook "x"');
    expect(errorText(new Error("connect ECONNREFUSED 10.0.0.1:443\n  at stack"))).toBe("connect ECONNREFUSED 10.0.0.1:443");
  });
});

describe("doctor: the frontend and the watcher's /status through it", () => {
  async function frontendAnswering(status: number, body: unknown): Promise<{ view: StackView; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === "/api/routing" ? status : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const view = { ...stackView({ outputsFile: outputsFile(OUTPUTS) }), frontendUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    return { view, close: () => new Promise((r) => server.close(() => r())) };
  }

  it("OK for both when the frontend answers and reads the watcher", async () => {
    const f = await frontendAnswering(200, { watcher: "ok", phase: "burst", weights: { primary: 0, burst: 100 } });
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect([frontend.ok, watcher.ok]).toEqual([true, true]);
    expect(watcher.detail).toBe("phase burst, weights 0/100");
  });

  it("the watcher's link broken, with the frontend's reason, when the frontend cannot read it", async () => {
    const f = await frontendAnswering(200, { watcher: "unreachable", error: "HTTP 403: RBAC: access denied", lastSeenAt: null });
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect(frontend.ok).toBe(true);
    expect(watcher).toMatchObject({ ok: false, detail: "unreachable: HTTP 403: RBAC: access denied" });
    expect(watcher.fix).toMatch(/AuthorizationPolicy istio-watcher/);
  });

  it("both broken when the frontend does not answer", async () => {
    const f = await frontendAnswering(503, {});
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect(frontend).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 503/) });
    expect(watcher).toMatchObject({ ok: false, detail: "not checked: the frontend does not answer" });
  });
});
