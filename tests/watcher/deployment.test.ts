import { valueOf } from "../helpers/pulumi";
import {
  IMAGES,
  SETTINGS,
  clusterOf,
  containersOf,
  envOf,
  expectRestrictedContainer,
  makeProviders,
  object,
  objects,
  setupMocks,
  waitForResources,
} from "../stack/fixtures";
import type { WatcherSettings } from "../../watcher/deployment";
import { WatcherDeployment, durationMs, watcherSettingsErrors } from "../../watcher/deployment";
import { defaultHealthQuery, loadConfig } from "../../watcher/src/config";

const PROMETHEUS = "http://prometheus.istio-system:9090";

async function build(settings: WatcherSettings = SETTINGS, extra: Record<string, unknown> = {}) {
  const mocks = setupMocks();
  const { primary } = await makeProviders();
  const watcher = new WatcherDeployment("watcher", {
    provider: primary,
    namespace: "hashr",
    image: IMAGES.watcher,
    prometheusUrl: PROMETHEUS,
    settings,
    ...extra,
  });
  await valueOf(watcher.deploymentName);
  await waitForResources(mocks);
  return { mocks, watcher };
}

describe("WatcherDeployment", () => {
  it("gets its own ServiceAccount, a Role limited to the one VirtualService and Events, and the RoleBinding", async () => {
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

  it("passes every setting as env, with ROUTER=istio, the VirtualService, namespace and PORT 8082", async () => {
    const { mocks, watcher } = await build();
    const dep = object(mocks, "Deployment", "istio-watcher", "primary");
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy).toEqual({ type: "Recreate" });
    const pod = dep.inputs.spec.template.spec;
    expect(pod.serviceAccountName).toBe("istio-watcher");
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "istio-watcher", version: "v1", "cluster-type": "primary-cluster" });
    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.watcher);
    expect(envOf(c)).toEqual({
      PORT: "8082",
      PROMETHEUS_URL: PROMETHEUS,
      ROUTER: "istio",
      VIRTUAL_SERVICE: "worker-virtual-service",
      NAMESPACE: "hashr",
      BURST_CLUSTER: "burst",
      HIGH_RPS: "15",
      LOW_RPS: "10",
      POLL_INTERVAL: "1s",
      MIN_DWELL: "30s",
      MODE: "switch",
      NATURAL_WEIGHTS: "100,0",
      BURST_WEIGHTS: "0,100",
      PRIMARY_CAPACITY_RPS: "15",
      STEP_WEIGHT: "10",
      MAX_BURST_WEIGHT: "100",
      DRY_RUN: "false",
    });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/_healthz", port: 8082 });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 8082 });
    expectRestrictedContainer(c, pod);
    expect(watcher.settings).toEqual(SETTINGS);
  });

  it("turns on the burst health guard for the stack's burst cluster: the watcher's default health query over NAMESPACE", async () => {
    const { mocks } = await build();
    const env = envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]);
    expect(env).not.toHaveProperty("BURST_HEALTH_QUERY");
    // what the watcher makes of exactly this environment
    const config = loadConfig(env);
    expect(config.burstHealthQuery).toBe(defaultHealthQuery("hashr", "30s", "burst"));
    expect(config.burstHealthQuery).toContain('destination_service="worker-service.hashr.svc.cluster.local",destination_cluster="burst"');

    const { mocks: other } = await build(SETTINGS, { burstClusterName: "cloud-2" });
    expect(envOf(containersOf(object(other, "Deployment", "istio-watcher"))[0]).BURST_CLUSTER).toBe("cloud-2");
    await expect(build(SETTINGS, { burstClusterName: 'burst"}' })).rejects.toThrow(/burstClusterName must be an Istio cluster name/);
  });

  it("sets QUERY only when a query is given, and numbers/durations as written", async () => {
    const settings: WatcherSettings = {
      ...SETTINGS,
      query: 'sum(rate(istio_requests_total{reporter="source"}[30s]))',
      mode: "overflow",
      pollInterval: 0.5,
      minDwell: "1m30s",
      highRps: 40.5,
      lowRps: 0,
      naturalWeights: [80, 20],
      dryRun: true,
    };
    const { mocks } = await build(settings, { virtualServiceName: "other-vs" });
    const env = envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]);
    expect(env).toMatchObject({
      QUERY: settings.query,
      MODE: "overflow",
      POLL_INTERVAL: "0.5",
      MIN_DWELL: "1m30s",
      HIGH_RPS: "40.5",
      LOW_RPS: "0",
      NATURAL_WEIGHTS: "80,20",
      DRY_RUN: "true",
      VIRTUAL_SERVICE: "other-vs",
    });
    expect(object(mocks, "Role", "istio-watcher").inputs.rules[0].resourceNames).toEqual(["other-vs"]);

    const { mocks: noQuery } = await build();
    expect(envOf(containersOf(object(noQuery, "Deployment", "istio-watcher"))[0])).not.toHaveProperty("QUERY");
  });

  it.each([
    [{ lowRps: 15 }, /lowRps \(15\) must be below highRps \(15\)/],
    [{ lowRps: 20, highRps: 15 }, /lowRps \(20\) must be below highRps \(15\)/],
    [{ highRps: Number.NaN }, /highRps must be a finite number > 0/],
    [{ lowRps: -1 }, /lowRps must be a finite number >= 0/],
    [{ mode: "burst" }, /mode must be one of switch, overflow, got "burst"/],
    [{ naturalWeights: [90, 20] }, /naturalWeights must sum to 100, got 90\+20=110/],
    [{ burstWeights: [50, 49] }, /burstWeights must sum to 100/],
    [{ burstWeights: [100, 0] }, /burstWeights \(100,0\) must send more to burst than naturalWeights \(100,0\)/],
    [{ mode: "overflow", naturalWeights: [70, 30], burstWeights: [80, 20] }, /burstWeights \(80,20\) must send more to burst than naturalWeights \(70,30\)/],
    [{ naturalWeights: [70, 30], maxBurstWeight: 20 }, /maxBurstWeight \(20\) must be at least the burst weight of naturalWeights \(30\)/],
    [{ pollInterval: "fast" }, /pollInterval must be a duration of at least 50ms/],
    [{ pollInterval: 0 }, /pollInterval must be a duration of at least 50ms/],
    [{ pollInterval: "10ms" }, /pollInterval must be a duration of at least 50ms/],
    [{ minDwell: "10 minutes" }, /minDwell must be a duration/],
    [{ primaryCapacityRps: 0 }, /primaryCapacityRps must be a finite number > 0/],
    [{ stepWeight: 0 }, /stepWeight must be an integer in 1\.\.100/],
    [{ maxBurstWeight: 101 }, /maxBurstWeight must be an integer in 0\.\.100/],
    [{ query: "  " }, /query must be a non-empty PromQL expression/],
    [{ dryRun: "yes" }, /dryRun must be true or false/],
  ])("refuses settings %j, naming the field", async (override, message) => {
    setupMocks();
    const { primary } = await makeProviders();
    const settings = { ...SETTINGS, ...override } as WatcherSettings;
    expect(
      () => new WatcherDeployment("bad-watcher", { provider: primary, namespace: "hashr", image: IMAGES.watcher, prometheusUrl: PROMETHEUS, settings }),
    ).toThrow(message);
  });

  it("accepts any valid policy the watcher accepts", async () => {
    expect(watcherSettingsErrors(SETTINGS)).toEqual([]);
    expect(watcherSettingsErrors({ ...SETTINGS, mode: "overflow", naturalWeights: [80, 20], burstWeights: [30, 70], maxBurstWeight: 20 })).toEqual([]);
    expect(watcherSettingsErrors({ ...SETTINGS, pollInterval: "50ms", minDwell: 0, lowRps: 0, query: "sum(up)" })).toEqual([]);
  });

  it("reports every problem at once", async () => {
    const errors = watcherSettingsErrors({ ...SETTINGS, lowRps: 30, mode: "x" as any, naturalWeights: [1, 2] });
    expect(errors).toHaveLength(3);
    expect(errors.join("\n")).toMatch(/lowRps.*\n.*mode.*\n.*naturalWeights/);
  });

  it.each([
    ["250ms", 250],
    ["1s", 1000],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["0.5", 500],
    [2, 2000],
    [0, 0],
    ["", undefined],
    ["1 s", undefined],
    ["s", undefined],
    [-1, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ])("durationMs(%j) = %j", async (input, ms) => {
    expect(durationMs(input)).toBe(ms);
  });
});
