/**
 * The watcher's configuration (loadConfig): the policy settings from the contract's table, and the
 * wiring read per area: the burst health query derived from NAMESPACE, RATE_WINDOW and BURST_CLUSTER
 * (or set, or off), and SCALER with what each scaler needs. A bad value is one line naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultHealthQuery, policyOf, watcherWiringEnv, WIRING_ENV } from "@istio-burst/contract";
import { createScaler } from "../../watcher/src/app";
import { loadConfig } from "../../watcher/src/config";

const local = { ROUTER: "local", MESH_URL: "http://127.0.0.1:9" };

describe("the watcher's policy settings", () => {
  it("are the contract table's, under the same names, and the policy is read from them", () => {
    const c = loadConfig({ ...local, MIN_DWELL: "1m30s", SCALE_DOWN_COOLDOWN: "2m", BURST_REPLICAS: "3", NATURAL_WEIGHTS: "90,10" });
    expect(c.settings).toMatchObject({ minDwell: 90_000, scaleDownCooldown: 120_000, burstReplicas: 3, naturalWeights: { primary: 90, burst: 10 } });
    expect(policyOf(c.settings)).toMatchObject({ minDwell: 90_000, scaleDownCooldown: 120_000, burstReplicas: 3, naturalWeights: { primary: 90, burst: 10 } });
  });

  it("refuse a bad value with one line naming the variable and the table's requirement", () => {
    expect(() => loadConfig({ ...local, CONFIRM_SAMPLES: "0" })).toThrow(/^CONFIRM_SAMPLES="0" is invalid: must be an integer from 1 to 1000$/);
    expect(() => loadConfig({ ...local, POLL_INTERVAL: "10ms" })).toThrow(/^POLL_INTERVAL="10ms" is invalid: must be a duration such as 250ms, 1s, 2m or a number of seconds, at least 50ms$/);
  });
});

describe("default burst health query", () => {
  it("is on by default, over the default query's namespace and window, for destination_cluster burst", () => {
    const c = loadConfig(local);
    expect(c.burstHealthQuery).toBe(
      '(sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local",destination_cluster="burst",response_code!~"0|5.."}[30s])) or vector(0))' +
        ' / sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local",destination_cluster="burst"}[30s]))',
    );
    expect(policyOf(c.settings)).toMatchObject({ healthGuard: true, burstMinSuccess: 0.5, burstUnhealthySamples: 3, burstRetryAfter: 60_000 });
  });

  it("follows NAMESPACE, RATE_WINDOW and BURST_CLUSTER, also when QUERY is set", () => {
    const c = loadConfig({ ...local, NAMESPACE: "shop", RATE_WINDOW: "5s", BURST_CLUSTER: "cloud-1", QUERY: "sum(up)" });
    expect(c.burstHealthQuery).toBe(defaultHealthQuery("shop", "5s", "cloud-1"));
    expect(c.burstHealthQuery).toContain('destination_service="worker-service.shop.svc.cluster.local",destination_cluster="cloud-1"');
    expect(c.burstHealthQuery).toContain("[5s]");
    expect(c.burstHealthQuery).not.toContain("[30s]");
  });

  it("BURST_HEALTH_QUERY replaces it, and off (or none/false/0/disabled) turns the guard off", () => {
    const custom = loadConfig({ ...local, BURST_HEALTH_QUERY: "vector(1)" });
    expect(custom.burstHealthQuery).toBe("vector(1)");
    for (const off of ["off", "OFF", "none", "false", "0", "disabled"]) {
      const c = loadConfig({ ...local, BURST_HEALTH_QUERY: off });
      expect(c.burstHealthQuery).toBeUndefined();
      expect(policyOf(c.settings).healthGuard).toBe(false);
    }
  });

  it("refuses a BURST_CLUSTER that is not a cluster name", () => {
    expect(() => loadConfig({ ...local, BURST_CLUSTER: 'burst"} or vector(1) #' })).toThrow(/^BURST_CLUSTER=.* is invalid: must be an Istio cluster name/);
  });
});

describe("SCALER wiring", () => {
  it("defaults to none: no scaler, so no pool is read beside the samples and decide() is about the weights alone", async () => {
    const c = loadConfig({});
    expect(c.scaler).toBe("none");
    expect(await createScaler(c)).toBeUndefined();
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
      expect(policyOf(c.settings)).toMatchObject({ burstMinReplicas: 0, burstMaxReplicas: 5, burstReplicas: 2, burstPodCapacityRps: 10, prewarmRps: 12.5, scaleDownCooldown: 60_000 });
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

describe("the wiring variables, as the contract names them (WIRING_ENV)", () => {
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
