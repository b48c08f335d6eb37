/** The capacity side's wiring env: SCALER and what each scaler needs; one line naming the variable when bad. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, policyFromConfig } from "../../watcher/src/config";

describe("SCALER wiring", () => {
  it("defaults to none: no capacity policy, behaviour as before", () => {
    const c = loadConfig({});
    expect(c.scaler).toBe("none");
    expect(policyFromConfig(c).capacity).toBeUndefined();
    expect(c.burstDeployment).toBe("worker-deployment");
    expect(c.burstNamespace).toBe("default");
  });

  it("kubernetes needs an existing BURST_KUBECONFIG file; names and namespace default sensibly", () => {
    expect(() => loadConfig({ SCALER: "kubernetes" })).toThrow(/^BURST_KUBECONFIG is required/);
    expect(() => loadConfig({ SCALER: "kubernetes", BURST_KUBECONFIG: "/nonexistent/kubeconfig" })).toThrow(/BURST_KUBECONFIG.*no such file/);
    const dir = mkdtempSync(join(tmpdir(), "burst-kc-"));
    try {
      const file = join(dir, "kubeconfig");
      writeFileSync(file, "{}");
      const c = loadConfig({ SCALER: "kubernetes", BURST_KUBECONFIG: file, NAMESPACE: "shop", BURST_DEPLOYMENT: "bursty-worker" });
      expect(c).toMatchObject({ scaler: "kubernetes", burstKubeconfig: file, burstNamespace: "shop", burstDeployment: "bursty-worker" });
      expect(policyFromConfig(c).capacity).toEqual({ minReplicas: 0, maxReplicas: 5, switchReplicas: 2, podCapacityRps: 10, prewarmRps: 12.5, cooldownMs: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("local needs SCALER_URL; bad values name the variable on one line", () => {
    expect(() => loadConfig({ SCALER: "local" })).toThrow(/^SCALER_URL is required/);
    expect(loadConfig({ SCALER: "local", SCALER_URL: "http://127.0.0.1:15001/" }).scalerUrl).toBe("http://127.0.0.1:15001");
    for (const [k, v] of [["SCALER", "keda"], ["BURST_DEPLOYMENT", "Bad_Name"], ["BURST_NAMESPACE", "NS!"], ["SCALER_URL", "ftp://x"]]) {
      const err = (() => {
        try {
          loadConfig({ SCALER: "local", SCALER_URL: "http://127.0.0.1:1", [k]: v });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(err?.message.startsWith(k)).toBe(true);
      expect(err?.message).not.toMatch(/\n/);
    }
  });
});
