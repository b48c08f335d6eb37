/**
 * Two local control planes, "primary" and "burst", shaped like the stack's clusters: one etcd (each
 * API server under its own prefix), kwok nodes as the GKE pools would have them (a fixed primary
 * pool; in burst one system node and worker nodes labelled and tainted as the burst worker pool),
 * and the load-balancer controller of each. Their administrators' kubeconfigs are self-contained
 * (https, embedded certificates), as the stack's `primaryKubeconfig` and `burstKubeconfig` must be.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { HOST, freePort, httpOk, makeOwnedTempDir, makeTempDir, removeAbandonedTempDirs, waitFor, type TempDir } from "../../packages/tooling/src/processes";
import { BURST_WORKER_NODES } from "../../k8s/workload";
import { Component, ControlPlane, KWOK_NODE_ANNOTATION, type ControlPlaneOptions } from "./control-plane";
import { kubeFrom, type Kube } from "../../packages/tooling/src/kube";
import { LoadBalancerController } from "./load-balancer";
import type { E2eTools } from "./tools";

/** A machine type's capacity and what GKE leaves allocatable on it (approximate). */
const MACHINES = {
  "e2-standard-2": { capacity: { cpu: "2", memory: "8Gi", pods: "110" }, allocatable: { cpu: "1930m", memory: "5900Mi", pods: "110" } },
  "e2-medium": { capacity: { cpu: "2", memory: "4Gi", pods: "110" }, allocatable: { cpu: "940m", memory: "2800Mi", pods: "110" } },
} as const;

export interface NodePoolShape {
  pool: string;
  machine: keyof typeof MACHINES;
  count: number;
  labels?: Record<string, string>;
  taints?: { key: string; value: string; effect: string }[];
}

/** The stack's defaults: 4 primary nodes; in burst one e2-medium system node and two worker nodes. */
export const CLUSTER_SHAPES: Record<"primary" | "burst", NodePoolShape[]> = {
  primary: [{ pool: "primary-pool", machine: "e2-standard-2", count: 4 }],
  burst: [
    { pool: "burst-system", machine: "e2-medium", count: 1 },
    {
      pool: "burst-workers",
      machine: "e2-standard-2",
      count: 2,
      labels: { [BURST_WORKER_NODES.label.key]: BURST_WORKER_NODES.label.value },
      taints: [{ ...BURST_WORKER_NODES.taint }],
    },
  ],
};

/**
 * This machine's first non-loopback IPv4 address: one the API servers can reach and an EndpointSlice
 * accepts (loopback it refuses), where istiod's webhook and xDS ports listen. A setup error when there is none.
 */
export function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  throw new Error("setup error: this machine has no non-loopback IPv4 address for istiod to listen on");
}

/** Each cluster's load-balancer addresses (RFC 5737 documentation ranges: routed nowhere). */
export const LOAD_BALANCER_RANGES = { primary: "198.51.100", burst: "203.0.113" } as const;

export interface LocalCluster {
  plane: ControlPlane;
  kube: Kube;
  loadBalancers: LoadBalancerController;
  /** the administrator's kubeconfig (text) */
  kubeconfig: string;
  kubeconfigFile: string;
}

export interface LocalClusters {
  dir: string;
  primary: LocalCluster;
  burst: LocalCluster;
  /** every process and controller of both, for the leftovers check */
  describe(): string[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** admission webhooks and aggregator routing of the primary API server (off by default) */
  primary?: Pick<ControlPlaneOptions, "webhooks" | "aggregatorRouting">;
  /** admission webhooks and aggregator routing of the burst API server (off by default) */
  burst?: Pick<ControlPlaneOptions, "webhooks" | "aggregatorRouting">;
  /** keep the folder (logs, kubeconfigs) after stop */
  keepDir?: boolean;
}

async function createNodes(kube: Kube, shapes: NodePoolShape[]): Promise<void> {
  for (const shape of shapes) {
    const machine = MACHINES[shape.machine];
    for (let i = 0; i < shape.count; i++) {
      const name = `${shape.pool}-${i}`;
      await kube.core.createNode({
        body: {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
            labels: {
              "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64",
              "node.kubernetes.io/instance-type": shape.machine,
              "cloud.google.com/gke-nodepool": shape.pool,
              type: "kwok",
              ...shape.labels,
            },
          },
          spec: { taints: shape.taints?.map((t) => ({ ...t })) },
          status: { capacity: { ...machine.capacity }, allocatable: { ...machine.allocatable } },
        },
      });
    }
  }
  const expected = shapes.reduce((n, s) => n + s.count, 0);
  await waitFor(
    `${expected} kwok nodes Ready`,
    async () => {
      const nodes = (await kube.core.listNode()).items;
      const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      return ready.length === expected;
    },
    60_000,
    250,
  );
}

/** Waits until the controllers have made the `default` ServiceAccount: the control plane is usable. */
async function waitUsable(cluster: LocalCluster): Promise<void> {
  await waitFor(
    `${cluster.plane.name}: the default ServiceAccount`,
    async () => {
      cluster.plane.checkRunning();
      await cluster.kube.core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
      return true;
    },
    60_000,
    250,
  );
}

async function startEtcd(tools: E2eTools, dir: string): Promise<{ etcd: Component; url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://${HOST}:${client}`;
  const etcd = Component.start(
    "etcd",
    tools.path("etcd"),
    [
      "--name=e2e",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://${HOST}:${peer}`,
      `--initial-advertise-peer-urls=http://${HOST}:${peer}`,
      `--initial-cluster=e2e=http://${HOST}:${peer}`,
      // throwaway data: nothing to keep across a power cut
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    join(dir, "etcd.log"),
  );
  const healthy = async () => {
    etcd.checkRunning();
    return httpOk(`${url}/health`);
  };
  await waitFor("etcd /health", healthy, 30_000, 100);
  return { etcd, url };
}

/** Starts both clusters in a new temp folder; `stop()` ends every process and removes the folder. */
export async function startClusters(tools: E2eTools, options: ClusterOptions = {}): Promise<LocalClusters> {
  // the folders of runs killed without cleaning up (SIGKILL) go first; a kept folder has no owner and stays
  removeAbandonedTempDirs("clusters");
  const tmp: TempDir = options.keepDir ? makeTempDir("clusters") : makeOwnedTempDir("clusters");
  const stoppers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
    if (!options.keepDir) tmp.remove();
  };
  try {
    const { etcd, url } = await startEtcd(tools, tmp.dir);
    stoppers.push(() => etcd.stop());
    const start = async (name: "primary" | "burst", octet: number, extra: Partial<ControlPlaneOptions>): Promise<LocalCluster> => {
      const dir = join(tmp.dir, name);
      mkdirSync(dir, { recursive: true });
      const plane = await ControlPlane.start(tools, {
        name,
        dir,
        etcdUrl: url,
        serviceCidr: `10.${95 + octet}.0.0/16`,
        podCidr: `10.${octet}.0.0/16`,
        ...extra,
      });
      stoppers.push(() => plane.stop());
      const kube = await kubeFrom(plane.kubeconfig);
      const loadBalancers = new LoadBalancerController(kube, LOAD_BALANCER_RANGES[name]);
      loadBalancers.start();
      stoppers.push(() => loadBalancers.stop());
      const cluster = { plane, kube, loadBalancers, kubeconfig: plane.kubeconfig, kubeconfigFile: plane.kubeconfigFile };
      await waitUsable(cluster);
      await createNodes(kube, CLUSTER_SHAPES[name]);
      return cluster;
    };
    const primary = await start("primary", 1, options.primary ?? {});
    const burst = await start("burst", 2, options.burst ?? {});
    writeFileSync(join(tmp.dir, "README"), "Two local control planes of istio-burst's end-to-end tests: primary/kubeconfig and burst/kubeconfig.\n");
    return {
      dir: tmp.dir,
      primary,
      burst,
      describe: () => [primary.plane.describe(), burst.plane.describe()],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
