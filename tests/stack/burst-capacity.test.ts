/**
 * Burst capacity on demand, on the whole program under mocks: the burst workers start at
 * burstMinReplicas and their size belongs to the watcher; the burst cluster idles on one small system
 * node while its tainted worker pool scales from 0; the watcher gets a kubeconfig for the burst
 * cluster (limited to that Deployment's scale) and nobody else does.
 */
import {
  IMAGES,
  SCALER_TOKEN,
  SHAPES,
  containersOf,
  envOf,
  freshMocks,
  makeProviders,
  object,
  objects,
  plain,
  propsRecorder,
  runProgram,
  settleAll,
  type PulumiMocks,
} from "../helpers/pulumi";
import { HashrApp } from "../../apps/stack/hashr";
import { burstWorkerPlacement } from "../../k8s/workload";

const POOL = "gcp:container/nodePool:NodePool";

describe("burst capacity on demand (whole program, defaults)", () => {
  let mocks: PulumiMocks;
  beforeAll(async () => {
    ({ mocks } = await runProgram());
  });

  it("creates the burst worker Deployment at burstMinReplicas (0); the primary pool keeps its fixed size", () => {
    expect(object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.replicas).toBe(0);
    expect(object(mocks, "Deployment", "worker-deployment", "primary").inputs.spec.replicas).toBe(2);
  });

  it("idles the burst cluster on one small system node: the worker pool starts at 0 and may scale back to 0", () => {
    const system = mocks.get(POOL, "burst-system-nodes").inputs;
    expect(system).toMatchObject({ nodeCount: 1 });
    expect(system.autoscaling).toBeUndefined();
    const workers = mocks.get(POOL, "burst-nodes").inputs;
    expect(workers).toMatchObject({ initialNodeCount: 0, autoscaling: { minNodeCount: 0, maxNodeCount: 5 } });
    expect(workers.nodeCount).toBeUndefined();
  });

  it("puts the burst workers, and only them, on the tainted worker pool: they select its label and tolerate its taint", () => {
    const pool = mocks.get(POOL, "burst-nodes").inputs.nodeConfig;
    const pod = object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.template.spec;
    expect(pod.nodeSelector).toEqual(pool.labels);
    expect(pool.taints).toHaveLength(1);
    const [taint] = pool.taints;
    expect(taint.effect).toBe("NO_SCHEDULE");
    expect(pod.tolerations).toEqual([{ key: taint.key, operator: "Equal", value: taint.value, effect: "NoSchedule" }]);
    // no other pod of either cluster tolerates it or selects a node
    for (const d of objects(mocks, "Deployment").filter((x) => !(x.inputs.metadata.name === "worker-deployment" && x.provider?.includes("burst-k8s")))) {
      expect({ d: d.inputs.metadata.name, tolerations: d.inputs.spec.template.spec.tolerations, nodeSelector: d.inputs.spec.template.spec.nodeSelector }).toEqual({
        d: d.inputs.metadata.name,
        tolerations: undefined,
        nodeSelector: undefined,
      });
    }
  });

  it("wires the watcher's scaler: SCALER=kubernetes, the mounted burst kubeconfig, the burst Deployment and its namespace", () => {
    const watcher = object(mocks, "Deployment", "istio-watcher", "primary");
    const env = envOf(containersOf(watcher)[0]);
    expect(env).toMatchObject({ SCALER: "kubernetes", BURST_KUBECONFIG: "/var/run/burst/kubeconfig", BURST_DEPLOYMENT: "worker-deployment", BURST_NAMESPACE: "default" });
    const secret = object(mocks, "Secret", "istio-watcher-burst-kubeconfig", "primary");
    expect(secret.inputs.metadata.namespace).toBe(watcher.inputs.metadata.namespace);
    const volume = watcher.inputs.spec.template.spec.volumes.find((v: any) => v.secret);
    expect(volume.secret.secretName).toBe("istio-watcher-burst-kubeconfig");
  });

  it("builds the kubeconfig from the burst endpoint, its CA and the scaler account's token", () => {
    const kubeconfig = JSON.parse(plain(object(mocks, "Secret", "istio-watcher-burst-kubeconfig", "primary").inputs.stringData).kubeconfig);
    expect(kubeconfig.clusters).toEqual([{ name: "burst", cluster: { server: "https://203.0.113.2", "certificate-authority-data": Buffer.from("ca-of-burst").toString("base64") } }]);
    expect(kubeconfig.users).toEqual([{ name: "burst", user: { token: SCALER_TOKEN } }]);
    expect(kubeconfig["current-context"]).toBe("burst");
  });

  it("still lets pulumi destroy remove both clusters (with their node pools)", () => {
    for (const c of mocks.ofType("gcp:container/cluster:Cluster")) expect({ c: c.name, deletionProtection: c.inputs.deletionProtection }).toEqual({ c: c.name, deletionProtection: false });
    for (const p of mocks.ofType(POOL)) expect(p.inputs.cluster).toMatch(/^(primary|burst)-a1b2c3$/);
  });
});

describe("burst capacity on demand (whole program, configured)", () => {
  it("starts the burst pool at a configured burstMinReplicas", async () => {
    const { mocks } = await runProgram({ burstMinReplicas: "2" });
    expect(object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.replicas).toBe(2);
    expect(envOf(containersOf(object(mocks, "Deployment", "istio-watcher", "primary"))[0]).BURST_MIN_REPLICAS).toBe("2");
  });

  it("refuses the removed burstWorkerReplicas key, naming it and its replacement", async () => {
    await expect(runProgram({ burstWorkerReplicas: "2" })).rejects.toThrow(/istio-burst:burstWorkerReplicas is no longer read: .*istio-burst:burstMinReplicas/);
  });

  it("refuses burstMinReplicas above burstMaxReplicas, naming the key", async () => {
    await expect(runProgram({ burstMinReplicas: "6" })).rejects.toThrow(/istio-burst:burstMinReplicas \(6\) must be an integer of at most istio-burst:burstMaxReplicas \(5\)/);
  });

  it("with primaryKubeconfig: the same scaler, reaching the GKE burst endpoint from the existing primary", async () => {
    const { mocks } = await runProgram(SHAPES.ownPrimary);
    const secret = object(mocks, "Secret", "istio-watcher-burst-kubeconfig", "primary");
    expect(JSON.parse(plain(secret.inputs.stringData).kubeconfig).clusters[0].cluster.server).toBe("https://203.0.113.2");
    expect(envOf(containersOf(object(mocks, "Deployment", "istio-watcher", "primary"))[0]).SCALER).toBe("kubernetes");
    expect(object(mocks, "Role", "istio-watcher-scaler", "burst").inputs.rules).toHaveLength(2);
    expect(mocks.get(POOL, "burst-nodes").inputs.autoscaling.minNodeCount).toBe(0);
  });
});

describe("HashrApp: the burst pool's size belongs to the watcher", () => {
  it("ignores later changes to the burst Deployment's spec.replicas, and nothing else anywhere in the app", async () => {
    freshMocks();
    const { primary, burst } = makeProviders();
    const recorder = propsRecorder();
    new HashrApp(
      "app",
      {
        primaryProvider: primary,
        burstProvider: burst,
        namespace: "hashr",
        images: IMAGES,
        replicas: { frontend: 1, primaryWorkers: 2, burstWorkers: 0 },
        burstWorkerPlacement: burstWorkerPlacement(),
        hashRounds: 1,
        dependsOn: { primary: [], burst: [] },
      },
      { transformations: recorder.transformations },
    );
    await settleAll();
    const ignoring = recorder.seen.filter((s) => (s.opts.ignoreChanges ?? []).length > 0);
    expect(ignoring.map((s) => [s.type, s.name, s.opts.ignoreChanges, s.opts.provider === burst])).toEqual([
      ["kubernetes:apps/v1:Deployment", "app-burst-workers-deployment", ["spec.replicas"], true],
    ]);
    expect(ignoring[0].props.spec.replicas).toBe(0);
  });
});
