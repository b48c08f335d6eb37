/**
 * Invariants over every resource HashrApp creates across the two clusters.
 */
import { PulumiMocks, RecordedResource, isSecret, valueOf } from "../helpers/pulumi";
import {
  IMAGES,
  Providers,
  SETTINGS,
  TEST_PASSWORD,
  clusterOf,
  containersOf,
  envOf,
  expectRestrictedContainer,
  isKubernetesObject,
  isSecretInput,
  makeProviders,
  object,
  objects,
  plainStringsIn,
  propsRecorder,
  setupMocks,
  stringsIn,
  unwrapSecret,
  waitForResources,
} from "./fixtures";
import type { WatcherSettings } from "../../watcher/deployment";
import { HashrApp } from "../../apps/hashr";

let mocks: PulumiMocks;
let app: HashrApp;
let providers: Providers;
let recorder: ReturnType<typeof propsRecorder>;

const NATURAL: readonly [number, number] = [90, 10];
const settings: WatcherSettings = { ...SETTINGS, naturalWeights: NATURAL };

beforeAll(async () => {
  mocks = setupMocks();
  providers = await makeProviders();
  recorder = propsRecorder();
  app = new HashrApp(
    "hashr",
    {
      primaryProvider: providers.primary,
      burstProvider: providers.burst,
      namespace: "hashr",
      images: IMAGES,
      prometheusUrl: "http://prometheus.istio-system:9090",
      watcher: settings,
      replicas: { primaryWorkers: 2, burstWorkers: 3 },
      hashRounds: 10,
    },
    { transformations: recorder.transformations },
  );
  await valueOf(app.workerVirtualServiceName);
  await waitForResources(mocks);
});

const k8sObjects = () => mocks.resources.filter(isKubernetesObject);
const names = (rs: RecordedResource[]) => rs.map((r) => r.inputs.metadata.name).sort();
const deployments = () => objects(mocks, "Deployment");

describe("HashrApp across both clusters", () => {
  it("creates the expected objects in each cluster", () => {
    const inCluster = (cluster: "primary" | "burst") =>
      k8sObjects()
        .filter((r) => clusterOf(r) === cluster)
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
      ].sort(),
    );
    expect(inCluster("burst")).toEqual(
      ["Namespace/hashr", "Secret/redis-credentials", "Service/redis-cache-service", "Deployment/worker-deployment", "Service/worker-service"].sort(),
    );
  });

  it("gives every Kubernetes object an explicit provider: primary or burst", () => {
    const objs = k8sObjects();
    expect(objs.length).toBe(23);
    for (const r of objs) expect({ name: r.name, cluster: clusterOf(r) }).toEqual({ name: r.name, cluster: expect.stringMatching(/^(primary|burst)$/) });
  });

  it("puts every namespaced object in the mesh namespace, which has sidecar injection in both clusters", () => {
    for (const r of k8sObjects().filter((x) => x.inputs.kind !== "Namespace")) expect(r.inputs.metadata.namespace).toBe("hashr");
    for (const ns of objects(mocks, "Namespace")) expect(ns.inputs.metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("uses apps/v1 for every Deployment", () => {
    expect(deployments()).toHaveLength(5);
    for (const d of deployments()) {
      expect(d.type).toBe("kubernetes:apps/v1:Deployment");
      expect(d.inputs.apiVersion).toBe("apps/v1");
    }
    expect(mocks.resources.filter((r) => /extensions\/v1beta1|apps\/v1beta/.test(r.type))).toHaveLength(0);
  });

  it("runs no container as root, all with read-only root, no escalation, no capabilities, limits and probes", () => {
    for (const d of deployments()) {
      const pod = d.inputs.spec.template.spec;
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of [...containersOf(d), ...(pod.initContainers ?? [])]) expectRestrictedContainer(c, pod);
    }
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
    const primarySvcs = objects(mocks, "Service", "primary");
    const burstSvcs = objects(mocks, "Service", "burst");
    expect(names(primarySvcs)).toEqual(["frontend-service", "redis-cache-service", "worker-service"]);
    expect(names(burstSvcs)).toEqual(["redis-cache-service", "worker-service"]);
    for (const b of burstSvcs) {
      const p = primarySvcs.find((s) => s.inputs.metadata.name === b.inputs.metadata.name)!;
      expect(b.inputs.spec).toEqual(p.inputs.spec);
    }
    expect(object(mocks, "Service", "worker-service", "primary").inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8081, protocol: "TCP" }]);
    expect(object(mocks, "Service", "frontend-service").inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }]);
  });

  it("exposes no Service outside the cluster (ClusterIP only; the frontend is reached through the ingress gateway)", () => {
    for (const s of objects(mocks, "Service")) {
      expect(s.inputs.spec.type).toBe("ClusterIP");
      expect(s.inputs.spec.externalIPs).toBeUndefined();
      for (const port of s.inputs.spec.ports) expect(port.nodePort).toBeUndefined();
    }
  });

  it("runs the right pools: primary without prefix, burst with bursty-; the frontend knows the prefix and worker-service", () => {
    const primaryWorkers = object(mocks, "Deployment", "worker-deployment", "primary");
    const burstWorkers = object(mocks, "Deployment", "worker-deployment", "burst");
    expect(primaryWorkers.inputs.spec.replicas).toBe(2);
    expect(burstWorkers.inputs.spec.replicas).toBe(3);
    expect(envOf(containersOf(primaryWorkers)[0])).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: "", HASH_ROUNDS: "10" });
    expect(envOf(containersOf(burstWorkers)[0])).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: "bursty-", HASH_ROUNDS: "10" });
    expect(envOf(containersOf(object(mocks, "Deployment", "frontend-deployment"))[0])).toEqual({
      PORT: "8080",
      PROCESSOR_URL: "http://worker-service",
      REDIS_URL: "secret:redis-credentials/url",
      BURST_PREFIX: "bursty-",
    });
  });

  it("creates the worker VirtualService with the natural weights, summing to 100, and the matching subsets", () => {
    const vs = object(mocks, "VirtualService", "worker-virtual-service");
    const route = vs.inputs.spec.http[0].route as any[];
    const weight = (subset: string) => route.find((d) => d.destination.subset === subset).weight;
    expect([weight("primary"), weight("burst")]).toEqual(NATURAL);
    expect(route.reduce((s, d) => s + d.weight, 0)).toBe(100);
    const subsets = object(mocks, "DestinationRule", "worker-destination-rule").inputs.spec.subsets;
    expect(subsets.map((s: any) => s.name).sort()).toEqual(route.map((d) => d.destination.subset).sort());
    // the labels the subsets select on are those of the two pools
    for (const s of subsets) {
      const pool = object(mocks, "Deployment", "worker-deployment", s.name);
      expect(pool.inputs.spec.template.metadata.labels).toMatchObject(s.labels);
    }
    expect(app.naturalWeights).toEqual(NATURAL);
    expect(envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]).NATURAL_WEIGHTS).toBe("90,10");
  });

  it("lets the watcher own the weights: only the worker VirtualService ignores changes, on spec.http", () => {
    const ignoring = recorder.seen.filter((s) => (s.opts.ignoreChanges ?? []).length > 0);
    expect(ignoring.map((s) => `${s.props.kind}/${s.props.metadata.name}:${s.opts.ignoreChanges}`)).toEqual(["VirtualService/worker-virtual-service:spec.http"]);
  });

  it("requires mTLS STRICT in the namespace", () => {
    const pa = objects(mocks, "PeerAuthentication");
    expect(pa).toHaveLength(1);
    expect(pa[0].inputs.spec.mtls.mode).toBe("STRICT");
    expect(pa[0].inputs.spec.portLevelMtls).toBeUndefined();
  });

  it("grants the watcher nothing beyond get/patch on its VirtualService and creating Events", () => {
    expect(objects(mocks, "ClusterRole")).toHaveLength(0);
    expect(objects(mocks, "ClusterRoleBinding")).toHaveLength(0);
    const roles = objects(mocks, "Role");
    expect(roles).toHaveLength(1);
    const rules = roles[0].inputs.rules as any[];
    for (const rule of rules) {
      for (const field of ["apiGroups", "resources", "verbs", "resourceNames"]) expect(rule[field] ?? []).not.toContain("*");
      expect(rule.nonResourceURLs).toBeUndefined();
    }
    const grants = rules.flatMap((r) =>
      r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g || "core"}/${res}/${v}${r.resourceNames ? `@${r.resourceNames.join("+")}` : ""}`))),
    );
    expect(grants.sort()).toEqual(
      [
        "networking.istio.io/virtualservices/get@worker-virtual-service",
        "networking.istio.io/virtualservices/patch@worker-virtual-service",
        "core/events/create",
      ].sort(),
    );
    const binding = object(mocks, "RoleBinding", "istio-watcher");
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istio-watcher", namespace: "hashr" }]);
    // only the watcher's pod runs with that ServiceAccount and a token; no pod uses an Istio account
    for (const d of deployments()) {
      const pod = d.inputs.spec.template.spec;
      if (d.inputs.metadata.name === "istio-watcher") expect(pod.serviceAccountName).toBe("istio-watcher");
      else {
        expect(pod.serviceAccountName).toBeUndefined();
        expect(pod.automountServiceAccountToken).toBe(false);
      }
    }
  });

  it("lets the Redis password flow only as a Pulumi secret, into the two Secrets", async () => {
    const secrets = objects(mocks, "Secret");
    expect(secrets.map(clusterOf).sort()).toEqual(["burst", "primary"]);
    for (const s of secrets) {
      expect(isSecretInput(s.inputs.stringData)).toBe(true);
      expect(unwrapSecret(s.inputs.stringData).password).toBe(TEST_PASSWORD);
    }
    // nowhere else, not even inside a secret envelope
    for (const r of mocks.resources.filter((x) => x.inputs.kind !== "Secret")) {
      expect({ name: r.name, found: stringsIn(r.inputs).some((v) => v.includes(TEST_PASSWORD)) }).toEqual({ name: r.name, found: false });
    }
    for (const r of mocks.resources) expect(plainStringsIn(r.inputs).some((v) => v.includes(TEST_PASSWORD))).toBe(false);
    // Redis gets it through env expansion, clients through secretKeyRef
    const redis = containersOf(object(mocks, "Deployment", "redis-cache"))[0];
    expect(redis.args).toContain("$(REDIS_PASSWORD)");
    expect(envOf(redis).REDIS_PASSWORD).toBe("secret:redis-credentials/password");
    expect(await valueOf(app.redisCredentials.password)).toBe(TEST_PASSWORD);
    expect(await isSecret(app.redisCredentials.url)).toBe(true);
    expect(await isSecret(app.redisCredentials.password)).toBe(true);
    for (const secret of [app.redisCredentials.secrets.primary!, app.redisCredentials.secrets.burst!]) {
      expect(await isSecret(secret.stringData)).toBe(true);
    }
  });

  it("exposes the frontend service, namespace and watcher settings", async () => {
    expect(await valueOf(app.namespace)).toBe("hashr");
    expect(await valueOf(app.frontendServiceName)).toBe("frontend-service");
    expect(await valueOf(app.frontendService.metadata.name)).toBe("frontend-service");
    expect(await valueOf(app.workerVirtualServiceName)).toBe("worker-virtual-service");
    expect(app.watcherSettings).toEqual(settings);
  });
});
