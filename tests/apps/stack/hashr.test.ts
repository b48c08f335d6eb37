/**
 * Invariants over the String Hashr app as index.ts composes it (HashrApp, its routing and the watcher
 * side by side) across the two clusters. The security properties are in tests/security.
 */
import {
  IMAGES,
  clusterOf,
  containersOf,
  envOf,
  freshMocks,
  isKubernetesObject,
  makeProviders,
  object,
  objects,
  runProgram,
  type PulumiMocks,
  type RecordedResource,
} from "../../helpers/pulumi";
import { HashrApp } from "../../../apps/stack/hashr";

let mocks: PulumiMocks;

beforeAll(async () => {
  ({ mocks } = await runProgram({ appNamespace: "hashr", primaryWorkerReplicas: "2", burstMinReplicas: "3", workerHashRounds: "10", naturalWeights: "90,10" }));
});

/** The app's objects: everything in its namespace (and the namespace itself). */
const appObjects = () => mocks.resources.filter((r) => isKubernetesObject(r) && (r.inputs.metadata?.namespace === "hashr" || (r.inputs.kind ?? "").startsWith("Namespace")));
const names = (rs: RecordedResource[]) => rs.map((r) => r.inputs.metadata.name).sort();
const deployments = () => objects(mocks, "Deployment");

describe("the String Hashr app across both clusters", () => {
  it("creates the expected objects in each cluster, each with that cluster's provider", () => {
    const inCluster = (cluster: "primary" | "burst") =>
      appObjects()
        .filter((r) => clusterOf(r) === cluster && r.inputs.metadata.name !== "istio-system")
        .map((r) => `${r.inputs.kind}/${r.inputs.metadata.name}`)
        .sort();
    expect(inCluster("primary")).toEqual(
      [
        "Namespace/hashr",
        "Secret/redis-credentials",
        "Deployment/redis-cache",
        "Service/redis-cache-service",
        "Deployment/worker-deployment",
        "Service/worker-service",
        "Deployment/frontend-deployment",
        "Service/frontend-service",
        "ServiceAccount/frontend",
        "Gateway/frontend-gateway",
        "VirtualService/frontend-ingress-virtual-service",
        "VirtualService/redis-virtual-service",
        "VirtualService/worker-virtual-service",
        "DestinationRule/worker-destination-rule",
        "PeerAuthentication/default",
        "ServiceAccount/istio-watcher",
        "Role/istio-watcher",
        "RoleBinding/istio-watcher",
        "Deployment/istio-watcher",
        "PodDisruptionBudget/istio-watcher",
        "Service/istio-watcher",
        "Secret/istio-watcher-burst-kubeconfig",
        "AuthorizationPolicy/istio-watcher",
      ].sort(),
    );
    expect(inCluster("burst")).toEqual(
      [
        "Namespace/hashr",
        "Secret/redis-credentials",
        "Service/redis-cache-service",
        "Deployment/worker-deployment",
        "Service/worker-service",
        // the watcher's scaler: that account, its Role and binding, and its token
        "ServiceAccount/istio-watcher-scaler",
        "Role/istio-watcher-scaler",
        "RoleBinding/istio-watcher-scaler",
        "Secret/istio-watcher-scaler-token",
      ].sort(),
    );
    expect(appObjects().filter((r) => clusterOf(r) === undefined)).toEqual([]);
  });

  it("has sidecar injection on the namespace in both clusters", () => {
    const namespaces = objects(mocks, "Namespace").filter((n) => n.inputs.metadata.name === "hashr");
    expect(namespaces.map(clusterOf).sort()).toEqual(["burst", "primary"]);
    for (const ns of namespaces) expect(ns.inputs.metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("uses apps/v1 for every Deployment", () => {
    expect(deployments()).toHaveLength(5);
    for (const d of deployments()) expect(d.type).toBe("kubernetes:apps/v1:Deployment");
    expect(mocks.resources.filter((r) => /extensions\/v1beta1|apps\/v1beta/.test(r.type))).toHaveLength(0);
  });

  it("labels every pod with app, version and the cluster-type of the cluster it runs in", () => {
    for (const d of deployments()) {
      const labels = d.inputs.spec.template.metadata.labels;
      expect(Object.keys(labels).sort()).toEqual(["app", "cluster-type", "version"]);
      expect(labels["cluster-type"]).toBe(`${clusterOf(d)}-cluster`);
      // the selector only uses labels the pods carry
      for (const [k, v] of Object.entries(d.inputs.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    }
  });

  it("gives the Services the same names, types and ports in both clusters where present", () => {
    const primarySvcs = objects(mocks, "Service", "primary").filter((s) => s.inputs.metadata.namespace === "hashr");
    const burstSvcs = objects(mocks, "Service", "burst");
    // istio-watcher: the watcher's own Service, in primary only (the frontend reads its /status)
    expect(names(primarySvcs)).toEqual(["frontend-service", "istio-watcher", "redis-cache-service", "worker-service"]);
    expect(names(burstSvcs)).toEqual(["redis-cache-service", "worker-service"]);
    for (const b of burstSvcs) {
      const p = primarySvcs.find((s) => s.inputs.metadata.name === b.inputs.metadata.name)!;
      expect(b.inputs.spec).toEqual(p.inputs.spec);
    }
    expect(object(mocks, "Service", "worker-service", "primary").inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8081, protocol: "TCP" }]);
    expect(object(mocks, "Service", "frontend-service").inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }]);
  });

  it("runs the right pools: primary without prefix, burst with bursty-; the frontend knows the prefix and worker-service", () => {
    const primaryWorkers = object(mocks, "Deployment", "worker-deployment", "primary");
    const burstWorkers = object(mocks, "Deployment", "worker-deployment", "burst");
    expect(primaryWorkers.inputs.spec.replicas).toBe(2);
    // the burst pool starts at burstMinReplicas; the watcher owns its size afterwards
    expect(burstWorkers.inputs.spec.replicas).toBe(3);
    expect(envOf(containersOf(primaryWorkers)[0])).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: "", HASH_ROUNDS: "10" });
    expect(envOf(containersOf(burstWorkers)[0])).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: "bursty-", HASH_ROUNDS: "10" });
    expect(envOf(containersOf(object(mocks, "Deployment", "frontend-deployment"))[0])).toEqual({
      PORT: "8080",
      PROCESSOR_URL: "http://worker-service",
      REDIS_URL: "secret:redis-credentials/url",
      BURST_PREFIX: "bursty-",
      WATCHER_URL: "http://istio-watcher",
    });
  });

  it("points the frontend's WATCHER_URL at the watcher's Service, which reaches the watcher's port", () => {
    const url = new URL(envOf(containersOf(object(mocks, "Deployment", "frontend-deployment"))[0]).WATCHER_URL);
    // a short name: the frontend and the watcher share the app namespace
    const frontendNs = object(mocks, "Deployment", "frontend-deployment").inputs.metadata.namespace;
    const svc = object(mocks, "Service", url.hostname, "primary");
    expect(svc.inputs.metadata.namespace).toBe(frontendNs);
    const port = svc.inputs.spec.ports.find((p: any) => p.port === Number(url.port || 80));
    expect(port).toMatchObject({ name: "http", targetPort: 8082 });
    const watcher = object(mocks, "Deployment", "istio-watcher", "primary");
    for (const [k, v] of Object.entries(svc.inputs.spec.selector)) expect(watcher.inputs.spec.template.metadata.labels[k]).toBe(v);
    expect(containersOf(watcher)[0].ports.map((p: any) => p.containerPort)).toContain(port.targetPort);
    // and no other Deployment's pods are behind it
    for (const d of deployments().filter((x) => x !== watcher)) {
      const labels = d.inputs.spec.template.metadata.labels;
      expect(Object.entries(svc.inputs.spec.selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  it("creates the worker VirtualService with the natural weights, summing to 100, over subsets that select the two pools", () => {
    const vs = object(mocks, "VirtualService", "worker-virtual-service");
    const route = vs.inputs.spec.http[0].route as any[];
    const weight = (subset: string) => route.find((d) => d.destination.subset === subset).weight;
    expect([weight("primary"), weight("burst")]).toEqual([90, 10]);
    expect(route.reduce((s, d) => s + d.weight, 0)).toBe(100);
    const subsets = object(mocks, "DestinationRule", "worker-destination-rule").inputs.spec.subsets;
    expect(subsets.map((s: any) => s.name).sort()).toEqual(route.map((d) => d.destination.subset).sort());
    for (const s of subsets) {
      const pool = object(mocks, "Deployment", "worker-deployment", s.name);
      expect(pool.inputs.spec.template.metadata.labels).toMatchObject(s.labels);
    }
    const watcherEnv = envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]);
    expect(watcherEnv).toMatchObject({ NATURAL_WEIGHTS: "90,10", NAMESPACE: "hashr", VIRTUAL_SERVICE: vs.inputs.metadata.name });
  });

  it("orders the routing after istiod and the watcher after the worker VirtualService", () => {
    const order = mocks.resources.map((r) => r.name);
    expect(order.indexOf("hashr-routing-worker-vs")).toBeGreaterThan(order.indexOf("istio-primary-istiod"));
    expect(order.indexOf("hashr-watcher-deployment")).toBeGreaterThan(order.indexOf("hashr-routing-worker-vs"));
  });
});

describe("HashrApp", () => {
  it("refuses one provider for both clusters and creates nothing", () => {
    const none = freshMocks();
    const { primary } = makeProviders();
    const args = {
      primaryProvider: primary,
      burstProvider: primary,
      namespace: "hashr",
      images: IMAGES,
      replicas: { frontend: 1, primaryWorkers: 1, burstWorkers: 1 },
      hashRounds: 1,
      dependsOn: { primary: [], burst: [] },
    };
    expect(() => new HashrApp("bad", args)).toThrow(/burstProvider must be the burst cluster's provider/);
    expect(none.resources.filter(isKubernetesObject)).toHaveLength(0);
  });
});
