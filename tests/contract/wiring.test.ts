/** The watcher's wiring, written once in the contract: its variables, their allowed values, and the watcher reading each of them. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROUTER_KINDS, SCALER_KINDS, WATCHER_SETTINGS, watcherWiringEnv, WIRING_ENV } from "@istio-burst/contract";
import { loadConfig } from "../../watcher/src/config";

describe("the watcher's wiring variables", () => {
  it("are distinct, and none is a policy setting's", () => {
    const names = Object.values(WIRING_ENV);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => WATCHER_SETTINGS.some((s) => s.env === name))).toEqual([]);
  });

  it("name the routers and scalers the watcher has", () => {
    expect(ROUTER_KINDS).toEqual(["istio", "local"]);
    expect(SCALER_KINDS).toEqual(["none", "kubernetes", "local"]);
  });

  it("come out as [variable, value] pairs in one order, the absent ones left out", () => {
    expect(watcherWiringEnv({ scalerUrl: "http://127.0.0.1:1", router: "local", port: "9000", meshUrl: undefined })).toEqual([
      ["PORT", "9000"],
      ["ROUTER", "local"],
      ["SCALER_URL", "http://127.0.0.1:1"],
    ]);
  });

  it("are each read by the watcher", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiring-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, "{}");
    try {
      const env = Object.fromEntries(
        watcherWiringEnv({
          port: "9000",
          prometheusUrl: "http://prometheus:9090/",
          router: "local",
          virtualService: "vs",
          namespace: "ns",
          meshUrl: "http://127.0.0.1:2/",
          burstCluster: "cloud",
          scaler: "kubernetes",
          burstKubeconfig: kubeconfig,
          burstDeployment: "workers",
          burstNamespace: "burst-ns",
        }),
      );
      expect(loadConfig(env)).toMatchObject({
        port: 9000,
        prometheusUrl: "http://prometheus:9090",
        router: "local",
        virtualService: "vs",
        namespace: "ns",
        meshUrl: "http://127.0.0.1:2",
        burstCluster: "cloud",
        scaler: "kubernetes",
        burstKubeconfig: kubeconfig,
        burstDeployment: "workers",
        burstNamespace: "burst-ns",
      });
      const local = Object.fromEntries(watcherWiringEnv({ router: "local", meshUrl: "http://127.0.0.1:2", scaler: "local", scalerUrl: "http://127.0.0.1:3/" }));
      expect(loadConfig(local)).toMatchObject({ scaler: "local", scalerUrl: "http://127.0.0.1:3" });
      expect(() => loadConfig({ [WIRING_ENV.scaler]: "elastic" })).toThrow(/SCALER/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
