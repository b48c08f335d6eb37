import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGES, clusterOf, containersOf, envOf, expectRestrictedContainer, freshMocks, makeProviders, object, objects, settleAll, valueOf } from "../../helpers/pulumi";
import { BURST_KUBECONFIG_PATH, WATCHER_SELECTOR, WATCHER_SERVICE_URL, WatcherDeployment, type WatcherDeploymentArgs } from "../../../watcher/stack/deployment";
import { DEFAULT_WATCHER_SETTINGS, defaultHealthQuery, defaultRateQuery, type WatcherSettings } from "../../../packages/contract/src";
import { loadConfig } from "../../../watcher/src/config";
import { testFolder } from "../../helpers/temp-folders";

const PROMETHEUS = "http://prometheus.istio-system.svc.cluster.local:9090";

async function build(settings: WatcherSettings = DEFAULT_WATCHER_SETTINGS, burstScaler?: WatcherDeploymentArgs["burstScaler"], replicas?: number) {
  const mocks = freshMocks();
  const { primary } = makeProviders();
  const watcher = new WatcherDeployment("watcher", { provider: primary, namespace: "hashr", image: IMAGES.watcher, prometheusUrl: PROMETHEUS, settings, dependsOn: [], burstScaler, replicas });
  await valueOf(watcher.deploymentName);
  await settleAll();
  return { mocks, env: envOf(containersOf(object(mocks, "Deployment", "istio-watcher", "primary"))[0]) };
}

describe("WatcherDeployment", () => {
  it("gets its own ServiceAccount, a Role limited to the worker VirtualService and Events, and the RoleBinding", async () => {
    const { mocks } = await build();
    const sa = object(mocks, "ServiceAccount", "istio-watcher");
    expect(sa.inputs.metadata.namespace).toBe("hashr");

    const role = object(mocks, "Role", "istio-watcher");
    expect(role.type).toBe("kubernetes:rbac.authorization.k8s.io/v1:Role");
    expect(role.inputs.metadata.namespace).toBe("hashr");
    expect(role.inputs.rules).toEqual([
      { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], resourceNames: ["worker-virtual-service"], verbs: ["get", "patch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ]);

    const binding = object(mocks, "RoleBinding", "istio-watcher");
    expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "istio-watcher" });
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istio-watcher", namespace: "hashr" }]);

    expect(objects(mocks, "ClusterRole")).toHaveLength(0);
    expect(objects(mocks, "ClusterRoleBinding")).toHaveLength(0);
    for (const r of mocks.resources.filter((x) => x.type.startsWith("kubernetes:"))) expect(clusterOf(r)).toBe("primary");
  });

  it("runs one restricted watcher pod with the wiring env and every setting", async () => {
    const { mocks, env } = await build();
    const dep = object(mocks, "Deployment", "istio-watcher", "primary");
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy).toEqual({ type: "Recreate" });
    const pod = dep.inputs.spec.template.spec;
    expect(pod.serviceAccountName).toBe("istio-watcher");
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "istio-watcher", version: "v1", "cluster-type": "primary-cluster" });
    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.watcher);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/_healthz", port: 8082 });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 8082 });
    expectRestrictedContainer(c, pod);
    expect(env).toEqual({
      PORT: "8082",
      PROMETHEUS_URL: PROMETHEUS,
      ROUTER: "istio",
      VIRTUAL_SERVICE: "worker-virtual-service",
      NAMESPACE: "hashr",
      BURST_CLUSTER: "burst",
      HIGH_RPS: "15",
      LOW_RPS: "10",
      POLL_INTERVAL: "1s",
      MIN_DWELL: "10s",
      CONFIRM_SAMPLES: "1",
      MODE: "switch",
      NATURAL_WEIGHTS: "100,0",
      BURST_WEIGHTS: "0,100",
      PRIMARY_CAPACITY_RPS: "15",
      STEP_WEIGHT: "10",
      MAX_BURST_WEIGHT: "100",
      OVERFLOW_BAND_RPS: "5",
      SCRAPE_INTERVAL: "5s",
      UP_RATE_WINDOW: "15s",
      RATE_WINDOW: "30s",
      DOWN_STABILIZATION: "30s",
      QUERY_TIMEOUT: "2s",
      BURST_MIN_SUCCESS: "0.5",
      BURST_UNHEALTHY_SAMPLES: "3",
      BURST_RETRY_AFTER: "60s",
      BURST_MIN_REPLICAS: "0",
      BURST_MAX_REPLICAS: "5",
      BURST_REPLICAS: "2",
      BURST_POD_CAPACITY_RPS: "10",
      PREWARM_RPS: "12.5",
      SCALE_DOWN_COOLDOWN: "60s",
      PREWARM: "trend",
      SCALE_UP_TIME: "60s",
      TREND_WINDOW: "50s",
      PREWARM_TIMEOUT: "60s",
      BURST_REPLICA_HOURLY_COST: "0.068",
      CURRENCY: "USD",
      DRY_RUN: "false",
      LEASE_DURATION: "15s",
      RENEW_DEADLINE: "10s",
      RETRY_PERIOD: "2s",
    });
    // one replica: no election, no Lease rule, no PodDisruptionBudget
    expect(env).not.toHaveProperty("LEASE_NAME");
    expect(objects(mocks, "PodDisruptionBudget")).toHaveLength(0);
    // without a burst scaler: no scaler wiring, nothing mounted but /tmp
    expect(env).not.toHaveProperty("SCALER");
    expect(pod.volumes.map((v: any) => v.name)).toEqual(["tmp"]);
  });

  it("with a burst scaler: SCALER=kubernetes and the burst kubeconfig mounted read-only from its Secret, as the watcher reads it", async () => {
    const scaler = { kubeconfigSecretName: "istio-watcher-burst-kubeconfig", kubeconfigKey: "kubeconfig", namespace: "hashr", deployment: "worker-deployment" };
    const { mocks, env } = await build(DEFAULT_WATCHER_SETTINGS, scaler);
    expect(env).toMatchObject({ SCALER: "kubernetes", BURST_KUBECONFIG: BURST_KUBECONFIG_PATH, BURST_DEPLOYMENT: "worker-deployment", BURST_NAMESPACE: "hashr" });
    const dep = object(mocks, "Deployment", "istio-watcher", "primary");
    const pod = dep.inputs.spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.secret);
    expect(volume).toEqual({
      name: "burst-kubeconfig",
      secret: { secretName: "istio-watcher-burst-kubeconfig", items: [{ key: "kubeconfig", path: "kubeconfig" }], defaultMode: 0o440 },
    });
    const [c] = containersOf(dep);
    const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount).toEqual({ name: "burst-kubeconfig", mountPath: path.dirname(BURST_KUBECONFIG_PATH), readOnly: true });
    expect(path.join(mount.mountPath, volume.secret.items[0].path)).toBe(BURST_KUBECONFIG_PATH);
    expectRestrictedContainer(c, pod);
    // the watcher's own parser takes that wiring (with a file standing for the mounted one)
    const file = path.join(testFolder("watcher-deployment"), "kubeconfig");
    fs.writeFileSync(file, "apiVersion: v1\nkind: Config\n");
    const config = loadConfig({ ...env, BURST_KUBECONFIG: file });
    expect(config).toMatchObject({ scaler: "kubernetes", burstKubeconfig: file, burstDeployment: "worker-deployment", burstNamespace: "hashr" });
  });

  it.each<[number, { strategy: unknown; leaseRules: number; pdb: boolean }]>([
    [1, { strategy: { type: "Recreate" }, leaseRules: 0, pdb: false }],
    [2, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, leaseRules: 2, pdb: true }],
    [3, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, leaseRules: 2, pdb: true }],
  ])("with %i replicas: the strategy, the Lease in the Role and the PodDisruptionBudget", async (replicas, expected) => {
    const { mocks, env } = await build(DEFAULT_WATCHER_SETTINGS, undefined, replicas);
    const dep = object(mocks, "Deployment", "istio-watcher", "primary");
    expect(dep.inputs.spec.replicas).toBe(replicas);
    expect(dep.inputs.spec.strategy).toEqual(expected.strategy);
    const rules = object(mocks, "Role", "istio-watcher").inputs.rules as { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[];
    const leaseRules = rules.filter((r) => r.resources.includes("leases"));
    expect(leaseRules).toHaveLength(expected.leaseRules);
    expect(objects(mocks, "PodDisruptionBudget")).toHaveLength(expected.pdb ? 1 : 0);
    if (!expected.pdb) return;
    // exactly the Lease: get/update on its name, create (RBAC cannot limit create by name)
    expect(leaseRules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["istio-watcher-leader"], verbs: ["get", "update"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    ]);
    const pdb = object(mocks, "PodDisruptionBudget", "istio-watcher", "primary");
    expect(pdb.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: WATCHER_SELECTOR } });
    // the Lease's name, and the pod's name as the identity (the downward API), as the watcher reads them
    expect(env).toMatchObject({ LEASE_NAME: "istio-watcher-leader", POD_NAME: "field:metadata.name" });
    expect(loadConfig({ ...env, POD_NAME: "istio-watcher-5d9c-x2k4q" })).toMatchObject({ leaseName: "istio-watcher-leader", identity: "istio-watcher-5d9c-x2k4q" });
  });

  it("is read by the watcher as given: its settings, its wiring, and the default queries over NAMESPACE and BURST_CLUSTER", async () => {
    const settings: WatcherSettings = { ...DEFAULT_WATCHER_SETTINGS, mode: "overflow", rateWindow: 15_000, naturalWeights: { primary: 80, burst: 20 }, dryRun: true };
    const { env } = await build(settings);
    const config = loadConfig(env);
    expect(config.settings).toEqual(settings);
    expect(config).toMatchObject({ router: "istio", virtualService: "worker-virtual-service", namespace: "hashr", prometheusUrl: PROMETHEUS, port: 8082, burstCluster: "burst" });
    expect(config.query).toBe(defaultRateQuery("hashr", "15s"));
    expect(config.burstHealthQuery).toBe(defaultHealthQuery("hashr", "15s", "burst"));
    expect(config.burstHealthQuery).toContain('destination_service="worker-service.hashr.svc.cluster.local",destination_cluster="burst"');
  });

  it("serves /status to the frontend through the ClusterIP Service istio-watcher (80 -> 8082, an HTTP port for the sidecars)", async () => {
    const { mocks } = await build();
    const svc = object(mocks, "Service", "istio-watcher", "primary");
    expect(svc.inputs.metadata.namespace).toBe("hashr");
    expect(svc.inputs.spec).toEqual({ type: "ClusterIP", selector: { app: "istio-watcher" }, ports: [{ name: "http", port: 80, targetPort: 8082, protocol: "TCP" }] });
    // the Service and the AuthorizationPolicy select the watcher's pods, and only them
    const dep = object(mocks, "Deployment", "istio-watcher", "primary");
    expect(dep.inputs.spec.selector.matchLabels).toEqual(WATCHER_SELECTOR);
    expect(dep.inputs.spec.template.metadata.labels).toMatchObject(WATCHER_SELECTOR);
    expect(containersOf(dep)[0].ports).toEqual([{ name: "http", containerPort: 8082 }]);
    // the frontend's WATCHER_URL: that Service's name on its port 80
    expect(new URL(WATCHER_SERVICE_URL)).toMatchObject({ protocol: "http:", hostname: "istio-watcher", port: "" });
  });

  it("leaves Istio's probe rewrite and metrics merging on, so the AuthorizationPolicy never sees the kubelet or Prometheus", async () => {
    const { mocks } = await build();
    const template = object(mocks, "Deployment", "istio-watcher", "primary").inputs.spec.template;
    const annotations: Record<string, string> = template.metadata.annotations;
    // probes go to the sidecar agent on 15020 (not redirected into Envoy), which calls the app from 127.0.0.6
    expect(annotations["sidecar.istio.io/rewriteAppHTTPProbers"]).toBeUndefined();
    // Prometheus scrapes the merged metrics on 15020; the agent reads /metrics over localhost
    expect(annotations["prometheus.istio.io/merge-metrics"]).toBeUndefined();
    expect(annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": "8082", "prometheus.io/path": "/metrics" });
    // no port is taken out of the sidecar's capture, and the agent's port is not an app port
    for (const key of Object.keys(annotations)) expect(key).not.toMatch(/^traffic\.sidecar\.istio\.io\//);
    expect(annotations["sidecar.istio.io/inject"]).toBeUndefined();
    const [c] = containersOf(object(mocks, "Deployment", "istio-watcher", "primary"));
    expect(c.readinessProbe.httpGet.port).toBe(8082);
    expect(c.livenessProbe.tcpSocket.port).toBe(8082);
  });

  it("sets QUERY and BURST_HEALTH_QUERY only when given, and the watcher takes them as they are", async () => {
    const query = 'sum(rate(istio_requests_total{reporter="source"}[1m]))';
    const { env } = await build({ ...DEFAULT_WATCHER_SETTINGS, query, burstHealthQuery: "off" });
    expect(env).toMatchObject({ QUERY: query, BURST_HEALTH_QUERY: "off" });
    const config = loadConfig(env);
    expect(config.query).toBe(query);
    expect(config.burstHealthQuery).toBeUndefined();

    const { env: defaults } = await build();
    expect(defaults).not.toHaveProperty("QUERY");
    expect(defaults).not.toHaveProperty("BURST_HEALTH_QUERY");
  });
});
