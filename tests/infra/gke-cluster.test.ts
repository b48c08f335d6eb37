import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { GkeCluster } from "../../infra/gke-cluster";
import { GKE_RANGES } from "../../infra/network";
import { dependenciesOf } from "../helpers/dependencies";
import { b64, freshMocks, gkeOutputs, isSecret, isSecretInput, plain, POD_RANGES, propsRecorder, providerName, runProgram, settleAll, TEST_PROJECT, valueOf, programRun } from "../helpers/pulumi";

const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";
/** The nodes' service account the stack creates (the mock's email for `gke-nodes-<suffix>`). */
const NODE_SA = `gke-nodes-a1b2c3@${TEST_PROJECT}.iam.gserviceaccount.com`;

/** A subnet as GkeNetwork gives it, for GkeClusters built directly here. */
const subnet = (role: "primary" | "burst") => ({ name: pulumi.output(`net-${role}`), ranges: GKE_RANGES[role], podRangeName: "pods", serviceRangeName: "services" });
/** What every GkeCluster built directly here shares. */
const SHAPE = {
  project: TEST_PROJECT,
  zone: "us-west1-a",
  network: "net",
  subnet: subnet("primary"),
  releaseChannel: "REGULAR",
  minMasterVersion: "1.34",
  machineType: "e2-standard-2",
  diskSizeGb: 50,
  spot: false,
  nodeServiceAccount: "sa@example.iam.gserviceaccount.com",
};

describe("GKE clusters (whole program)", () => {
  const run = programRun();

  it("creates exactly two clusters, primary and burst, named with the stack's suffix", () => {
    const names = run.mocks.ofType(CLUSTER).map((c) => c.inputs.name).sort();
    expect(names).toEqual(["burst-a1b2c3", "primary-a1b2c3"]);
  });

  it.each(["primary", "burst"])("%s: zonal, VPC-native on the stack's network, workload identity, default pool removed, deletion protection off", (name) => {
    const c = run.mocks.get(CLUSTER, `${name}-cluster`).inputs;
    expect(c).toMatchObject({
      project: TEST_PROJECT,
      location: "us-west1-a",
      network: "istio-burst-a1b2c3",
      subnetwork: `istio-burst-a1b2c3-${name}`,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      deletionProtection: false,
      releaseChannel: { channel: "REGULAR" },
      workloadIdentityConfig: { workloadPool: `${TEST_PROJECT}.svc.id.goog` },
    });
  });

  it.each(["primary", "burst"])("%s: the control plane's minimum version is gkeMinVersion's default, 1.34; the nodes follow the release channel", (name) => {
    expect(run.mocks.get(CLUSTER, `${name}-cluster`).inputs.minMasterVersion).toBe("1.34");
    for (const pool of run.mocks.ofType(POOL).filter((p) => p.inputs.cluster === `${name}-a1b2c3`)) {
      expect({ pool: pool.name, version: pool.inputs.version }).toEqual({ pool: pool.name, version: undefined });
      expect(pool.inputs.management).toEqual({ autoRepair: true, autoUpgrade: true });
    }
  });

  it.each(["primary", "burst"])("%s: the initial (removed) default pool runs as the stack's node service account, never the Compute Engine default one", (name) => {
    const c = run.mocks.get(CLUSTER, `${name}-cluster`);
    expect(c.inputs.nodeConfig).toEqual({
      serviceAccount: NODE_SA,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    });
    expect(c.inputs.nodeConfig.serviceAccount).not.toMatch(/-compute@developer\.gserviceaccount\.com$/);
    // the account and its role exist before the cluster's first nodes do
    expect(dependenciesOf(CLUSTER, `${name}-cluster`)).toEqual(expect.arrayContaining(["gcp:serviceaccount/account:Account::project-gke-nodes", "gcp:projects/iAMMember:IAMMember::project-gke-nodes-container.defaultNodeServiceAccount"]));
  });

  it.each(["primary", "burst"])("%s: replaced delete-first (its name is fixed), node config changes after creation ignored", (name) => {
    const c = run.mocks.get(CLUSTER, `${name}-cluster`);
    expect(c.deleteBeforeReplace).toBe(true);
    expect(c.ignoreChanges.sort()).toEqual(["initialNodeCount", "nodeConfig"]);
  });

  it("primary: a fixed pool of 4 nodes, no autoscaling", () => {
    const p = run.mocks.get(POOL, "primary-nodes").inputs;
    expect(p.nodeCount).toBe(4);
    expect(p.autoscaling).toBeUndefined();
    expect(p.cluster).toBe("primary-a1b2c3");
    expect(p.location).toBe("us-west1-a");
  });

  it("burst workers: a pool autoscaling 0..5 starting at 0, no fixed nodeCount fighting the autoscaler", () => {
    const p = run.mocks.get(POOL, "burst-nodes").inputs;
    expect(p.autoscaling).toEqual({ minNodeCount: 0, maxNodeCount: 5 });
    expect(p.initialNodeCount).toBe(0);
    expect(p.nodeCount).toBeUndefined();
    expect(p.cluster).toBe("burst-a1b2c3");
  });

  it("burst workers: the pool's nodes are labelled and tainted NoSchedule, so only the burst workers land there", () => {
    const n = run.mocks.get(POOL, "burst-nodes").inputs.nodeConfig;
    expect(n.labels).toEqual({ "istio-burst/pool": "burst-workers" });
    expect(n.taints).toEqual([{ key: "istio-burst/pool", value: "burst-workers", effect: "NO_SCHEDULE" }]);
  });

  it("burst system: one always-on small node, untainted, not autoscaled, on-demand", () => {
    const p = run.mocks.get(POOL, "burst-system-nodes").inputs;
    expect(p.nodeCount).toBe(1);
    expect(p.autoscaling).toBeUndefined();
    expect(p.cluster).toBe("burst-a1b2c3");
    expect(p.nodeConfig.machineType).toBe("e2-medium");
    expect(p.nodeConfig.spot).toBe(false);
    expect(p.nodeConfig.taints).toBeUndefined();
    expect(p.nodeConfig.labels).toBeUndefined();
    // the same hardening and the same network tag (the firewall's target) as the worker pool
    const w = run.mocks.get(POOL, "burst-nodes").inputs.nodeConfig;
    for (const k of ["tags", "serviceAccount", "workloadMetadataConfig", "shieldedInstanceConfig", "oauthScopes", "imageType"]) expect({ k, v: p.nodeConfig[k] }).toEqual({ k, v: w[k] });
  });

  it("primary: one pool, neither labelled nor tainted", () => {
    expect(run.mocks.ofType(POOL).filter((p) => p.name.startsWith("primary")).map((p) => p.name)).toEqual(["primary-nodes"]);
    const n = run.mocks.get(POOL, "primary-nodes").inputs.nodeConfig;
    expect(n.taints).toBeUndefined();
    expect(n.labels).toBeUndefined();
  });

  it("the burst cluster's Kubernetes provider waits for both of its node pools", async () => {
    // the system pool must exist before the first pod (GKE's and Istio's) can run
    freshMocks();
    const recorder = propsRecorder();
    const c = new GkeCluster(
      "burst",
      {
        clusterName: "burst-x",
        project: TEST_PROJECT,
        zone: "us-west1-a",
        network: "net",
        subnet: subnet("burst"),
        releaseChannel: "REGULAR",
        minMasterVersion: "1.34",
        machineType: "e2-standard-2",
        diskSizeGb: 50,
        nodeCount: 0,
        autoscaling: { minNodes: 0, maxNodes: 3 },
        spot: false,
        nodeTaints: [{ key: "k", value: "v", effect: "NO_SCHEDULE" }],
        systemPool: { machineType: "e2-medium", nodeCount: 1 },
        nodeTags: ["t"],
        nodeServiceAccount: "sa@example.iam.gserviceaccount.com",
        gcpProvider: new gcp.Provider("gcp", { project: TEST_PROJECT }),
      },
      { transformations: recorder.transformations },
    );
    await valueOf(c.clusterName);
    await settleAll();
    const provider = recorder.seen.find((x) => x.type === "pulumi:providers:kubernetes")!;
    expect(provider.opts.dependsOn).toEqual([c.systemNodePool, c.nodePool]);
  });

  it.each(["primary", "burst"])("%s nodes: network tag, own service account, workload metadata, machine type", (name) => {
    const n = run.mocks.get(POOL, `${name}-nodes`).inputs.nodeConfig;
    expect(n.tags).toEqual([`istio-burst-${name}-a1b2c3`]);
    expect(n.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
    expect(n.machineType).toBe("e2-standard-2");
    expect(n.diskSizeGb).toBe(50);
    expect(run.mocks.get("gcp:serviceaccount/account:Account", "project-gke-nodes").inputs.accountId).toBe("gke-nodes-a1b2c3");
    expect(n.serviceAccount).toBe(NODE_SA);
    expect(n.oauthScopes).toEqual(["https://www.googleapis.com/auth/cloud-platform"]);
  });

  it("every GCP resource uses the explicit gcp provider", () => {
    const gcpResources = run.mocks.resources.filter((r) => r.type.startsWith("gcp:"));
    expect(gcpResources.length).toBeGreaterThan(10);
    for (const r of gcpResources) expect([r.name, providerName(r.provider)]).toEqual([r.name, "project-gcp"]);
    const provider = run.mocks.get("pulumi:providers:gcp", "project-gcp").inputs;
    expect(provider).toMatchObject({ project: TEST_PROJECT, region: "us-west1", zone: "us-west1-a" });
  });

  it("enables the APIs it needs and never disables them on destroy", () => {
    const apis = run.mocks.ofType("gcp:projects/service:Service");
    expect(apis.map((a) => a.inputs.service).sort()).toEqual(
      ["artifactregistry.googleapis.com", "cloudresourcemanager.googleapis.com", "compute.googleapis.com", "container.googleapis.com", "iam.googleapis.com"],
    );
    for (const a of apis) expect(a.inputs.disableOnDestroy).toBe(false);
  });

  it("one Kubernetes provider per cluster, with a gke-gcloud-auth-plugin kubeconfig passed as a secret", () => {
    const providers = run.mocks.ofType("pulumi:providers:kubernetes");
    expect(providers.map((p) => p.name).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const p of providers) {
      expect(isSecretInput(p.inputs.kubeconfig)).toBe(true);
      const kc = JSON.parse(plain(p.inputs.kubeconfig));
      const logical = p.name.replace(/-k8s$/, "");
      expect(kc.clusters[0].cluster.server).toBe(`https://203.0.113.${logical === "primary" ? 1 : 2}`);
      expect(kc.clusters[0].cluster["certificate-authority-data"]).toBe(b64(`ca-of-${logical}`));
      expect(kc.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
      expect(kc.users[0].user.exec.apiVersion).toBe("client.authentication.k8s.io/v1beta1");
    }
  });

  it("exports cluster names and kubeconfigs, the kubeconfigs as secrets", async () => {
    const { program } = run;
    expect(await valueOf(program.primaryClusterName)).toBe("primary-a1b2c3");
    expect(await valueOf(program.burstClusterName)).toBe("burst-a1b2c3");
    expect(await isSecret(program.primaryKubeconfig)).toBe(true);
    expect(await isSecret(program.burstKubeconfig)).toBe(true);
    expect(JSON.parse(await valueOf<string>(program.burstKubeconfig)).clusters[0].name).toBe(`gke_${TEST_PROJECT}_us-west1-a_burst-a1b2c3`);
  });

  it("every resource except providers, random and image builds names a provider (default providers are disabled)", () => {
    for (const r of run.mocks.resources) {
      // the StackReference is the engine's own read of this stack: it has no provider to name
      if (!r.custom || r.type.startsWith("pulumi:providers:") || r.type.startsWith("random:") || r.type.startsWith("docker-build:") || r.type === "pulumi:pulumi:StackReference") continue;
      expect([r.type, r.name, r.provider]).toEqual([r.type, r.name, expect.stringContaining("::")]);
    }
  });
});

describe("GKE clusters from config", () => {
  it("takes node counts, autoscaling bounds, machine types, zone, channel and minimum version from config", async () => {
    const { mocks } = await runProgram({
      zone: "europe-west4-b",
      gkeMinVersion: "1.35.1-gke.1396000",
      primaryNodeCount: "3",
      primaryMachineType: "n2-standard-4",
      burstMinNodes: "2",
      burstMaxNodes: "9",
      burstMachineType: "e2-highcpu-8",
      burstSpot: "true",
      burstSystemMachineType: "e2-standard-4",
      releaseChannel: "STABLE",
      diskSizeGb: "80",
    });
    await settleAll();
    const primary = mocks.get(POOL, "primary-nodes").inputs;
    const burst = mocks.get(POOL, "burst-nodes").inputs;
    expect(primary.nodeCount).toBe(3);
    expect(primary.nodeConfig).toMatchObject({ machineType: "n2-standard-4", diskSizeGb: 80, spot: false });
    expect(burst.autoscaling).toEqual({ minNodeCount: 2, maxNodeCount: 9 });
    expect(burst.initialNodeCount).toBe(2);
    expect(burst.nodeConfig).toMatchObject({ machineType: "e2-highcpu-8", spot: true });
    // Spot is for the workers; the system node stays on-demand
    expect(mocks.get(POOL, "burst-system-nodes").inputs.nodeConfig).toMatchObject({ machineType: "e2-standard-4", diskSizeGb: 80, spot: false });
    for (const c of mocks.ofType(CLUSTER)) expect(c.inputs).toMatchObject({ location: "europe-west4-b", releaseChannel: { channel: "STABLE" }, minMasterVersion: "1.35.1-gke.1396000" });
    // the subnets follow the zone's region
    for (const s of mocks.ofType("gcp:compute/subnetwork:Subnetwork")) expect(s.inputs.region).toBe("europe-west4");
  });

  it("a warm burst worker node: burstMinNodes 1 keeps one, and the pool starts with it", async () => {
    const { mocks } = await runProgram({ burstMinNodes: "1" });
    await settleAll();
    expect(mocks.get(POOL, "burst-nodes").inputs).toMatchObject({ autoscaling: { minNodeCount: 1, maxNodeCount: 5 }, initialNodeCount: 1 });
  });

  it("fails on a bad burstSystemMachineType, naming the key", async () => {
    await expect(runProgram({ burstSystemMachineType: "small" })).rejects.toThrow(/istio-burst:burstSystemMachineType \("small"\) must be a machine type/);
  });

  it("fails before registering anything when max < min nodes", async () => {
    await expect(runProgram({ burstMinNodes: "6", burstMaxNodes: "3" })).rejects.toThrow(
      /istio-burst:burstMaxNodes \(3\) must be at least istio-burst:burstMinNodes \(6\)/,
    );
  });

  it("fails on a GKE minimum version older than 1.32, naming the key", async () => {
    await expect(runProgram({ gkeMinVersion: "1.31" })).rejects.toThrow(/istio-burst:gkeMinVersion \("1.31"\) must be 1.32 or newer/);
  });

  it("fails on an unpinned Istio version", async () => {
    await expect(runProgram({ istioVersion: "1.31" })).rejects.toThrow(/istio-burst:istioVersion \("1.31"\) must be a pinned Istio release/);
  });
});

describe("clusters are created in parallel", () => {
  it("the burst cluster is registered while the primary cluster is still being created (and vice versa)", async () => {
    const { GkeCluster } = (require("../../infra/gke-cluster") as typeof import("../../infra/gke-cluster"));
    for (const [held, other] of [["primary", "burst"], ["burst", "primary"]]) {
      freshMocks();
      const registered: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const outputs = gkeOutputs();
      pulumi.runtime.setMocks(
        {
          async newResource(args) {
            registered.push(args.name);
            if (args.name === `${held}-cluster`) await gate; // the held cluster takes "forever"
            return { id: `${args.name}-id`, state: { ...args.inputs, ...(outputs({ type: args.type, name: args.name, inputs: args.inputs }) ?? {}) } };
          },
          call: (args) => args.inputs,
        },
        "istio-burst",
        "test",
        false,
      );
      const gcp = await import("@pulumi/gcp");
      const provider = new gcp.Provider("gcp", { project: TEST_PROJECT });
      const mk = (name: string) =>
        new GkeCluster(name, { ...SHAPE, clusterName: name, nodeCount: 1, nodeTags: [`${name}-tag`], gcpProvider: provider });
      mk("primary");
      mk("burst");
      await settleAll();
      expect(registered).toContain(`${other}-cluster`);
      expect(registered).toContain(`${other}-nodes`);
      expect(registered).toContain(`${other}-k8s`);
      release();
      await settleAll();
    }
  });
});

describe("pod ranges", () => {
  it("exposes its subnet's pod range, known before GKE reports anything", async () => {
    // a cluster that reports no range at all (as in a preview of a new cluster)
    freshMocks({}, gkeOutputs((r) => (r.type === CLUSTER ? { name: r.inputs.name } : undefined)));
    const gcp = await import("@pulumi/gcp");
    const { GkeCluster } = (require("../../infra/gke-cluster") as typeof import("../../infra/gke-cluster"));
    const c = new GkeCluster("burst", { ...SHAPE, subnet: subnet("burst"), clusterName: "b", nodeCount: 1, nodeTags: ["t"], gcpProvider: new gcp.Provider("gcp", {}) });
    expect(await valueOf(c.podRange)).toBe(POD_RANGES.burst);
    expect(await valueOf(c.nodeTags)).toEqual(["t"]);
    await settleAll();
  });
});

describe("ExistingCluster", () => {
  it("is only a Kubernetes provider bound to the kubeconfig, passed as a secret; nothing on GCP", async () => {
    const { freshMocks, isSecret, isSecretInput, plain, valueOf, settleAll, OWN_PRIMARY_KUBECONFIG } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const mocks = freshMocks();
    const { ExistingCluster } = require("../../infra/existing-cluster") as typeof import("../../infra/existing-cluster");
    const c = new ExistingCluster("primary", { kubeconfig: OWN_PRIMARY_KUBECONFIG, clusterName: "onprem-1", server: "https://192.0.2.10:6443", caCertificate: "" });
    expect(await valueOf(c.clusterName)).toBe("onprem-1");
    expect(await isSecret(c.kubeconfig)).toBe(true);
    await settleAll();
    const custom = mocks.resources.filter((r) => r.custom);
    expect(custom.map((r) => `${r.type}::${r.name}`)).toEqual(["pulumi:providers:kubernetes::primary-k8s"]);
    expect(isSecretInput(custom[0].inputs.kubeconfig)).toBe(true);
    expect(plain(custom[0].inputs.kubeconfig)).toBe(OWN_PRIMARY_KUBECONFIG);
  });
});
