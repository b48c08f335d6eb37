import { IMAGES, clusterOf, containersOf, envOf, expectRestrictedContainer, freshMocks, makeProviders, object, objects, settleAll, valueOf } from "../helpers/pulumi";
import { WatcherDeployment } from "../../watcher/deployment";
import { DEFAULT_WATCHER_SETTINGS, defaultHealthQuery, defaultRateQuery, type WatcherSettings } from "../../packages/contract/src";
import { loadConfig } from "../../watcher/src/config";

const PROMETHEUS = "http://prometheus.istio-system.svc.cluster.local:9090";

async function build(settings: WatcherSettings = DEFAULT_WATCHER_SETTINGS) {
  const mocks = freshMocks();
  const { primary } = makeProviders();
  const watcher = new WatcherDeployment("watcher", { provider: primary, namespace: "hashr", image: IMAGES.watcher, prometheusUrl: PROMETHEUS, settings, dependsOn: [] });
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
      RATE_WINDOW: "30s",
      QUERY_TIMEOUT: "2s",
      BURST_MIN_SUCCESS: "0.5",
      BURST_UNHEALTHY_SAMPLES: "3",
      BURST_RETRY_AFTER: "60s",
      DRY_RUN: "false",
    });
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
