/**
 * HashrApp wired from the stack configuration exactly as index.ts does it: the config slices are
 * handed over as they are (the settings type uses the config key names).
 */
import type { AppsConfig, WatcherConfig } from "../../config";
import type { WatcherSettings } from "../../watcher/deployment";
import { valueOf } from "../helpers/pulumi";
import { IMAGES, containersOf, envOf, makeProviders, object, objects, setupMocks, waitForResources } from "./fixtures";
import { HashrApp } from "../../apps/hashr";

// Compile-time: config.ts's watcher slice is assignable to the component's settings (tsc --noEmit checks this).
const asSettings = (c: WatcherConfig): WatcherSettings => c;
const namespaceOf = (a: AppsConfig): string => a.namespace;

describe("HashrApp wired from config.ts", () => {
  it("takes the config slices unchanged and turns them into the watcher env and the natural weights", async () => {
    // config.ts reads the stack config when imported
    const mocks = setupMocks({ project: "demo-project-1", highRps: "25", lowRps: "5", mode: "overflow", minDwell: "45s", primaryCapacityRps: "20" });
    const { appsConfig, watcherConfig } = require("../../config") as typeof import("../../config");
    const { primary, burst } = await makeProviders();

    const app = new HashrApp("hashr", {
      primaryProvider: primary,
      burstProvider: burst,
      namespace: namespaceOf(appsConfig),
      images: IMAGES,
      replicas: {
        frontend: appsConfig.frontendReplicas,
        primaryWorkers: appsConfig.primaryWorkerReplicas,
        burstWorkers: appsConfig.burstWorkerReplicas,
      },
      hashRounds: appsConfig.workerHashRounds,
      prometheusUrl: "http://prometheus-server.istio-system",
      watcher: asSettings(watcherConfig),
    });
    expect(await valueOf(app.namespace)).toBe("default");
    await waitForResources(mocks);

    // the default namespace is labelled in place in both clusters, never created
    expect(mocks.ofType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    expect(mocks.ofType("kubernetes:core/v1:NamespacePatch")).toHaveLength(2);

    const env = envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]);
    expect(env).toMatchObject({
      HIGH_RPS: "25",
      LOW_RPS: "5",
      MODE: "overflow",
      MIN_DWELL: "45s",
      POLL_INTERVAL: "1s",
      PRIMARY_CAPACITY_RPS: "20",
      NATURAL_WEIGHTS: "100,0",
      BURST_WEIGHTS: "0,100",
      NAMESPACE: "default",
    });
    // config.ts fills in the default query for the namespace
    expect(env.QUERY).toContain('destination_service="worker-service.default.svc.cluster.local"');
    expect(env.QUERY).toContain('source_workload="frontend-deployment"');

    const route = object(mocks, "VirtualService", "worker-virtual-service").inputs.spec.http[0].route;
    expect(route.map((d: any) => [d.destination.subset, d.weight])).toEqual([
      ["primary", 100],
      ["burst", 0],
    ]);
    expect(objects(mocks, "Deployment", "burst").map((d) => d.inputs.spec.replicas)).toEqual([appsConfig.burstWorkerReplicas]);
  });
});
