import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_CLUSTERS } from "../packages/contract/src";
import type { ChartSource } from "../k8s/charts";
import { baseAndIstiod, istioSystemNamespace } from "./common";

export interface IstioRemoteArgs {
  /** Kubernetes provider of the remote (burst) cluster */
  provider: k8s.Provider;
  /** pinned Istio release = chart version; the same as the primary's */
  version: string;
  /** where the Istio charts come from (a Helm repository, an OCI registry or a folder) */
  charts: ChartSource;
  /** this cluster's Istio network (the primary's on one network, its own on two): the istio-system label, sent in the injection path */
  network: string;
  /** Istio cluster name of this cluster, sent in the injection path (default `ISTIO_CLUSTERS.burst`) */
  clusterName?: string;
  /** Istio cluster name of the cluster whose istiod controls this one (default `ISTIO_CLUSTERS.primary`) */
  controlPlaneClusterName?: string;
  /** address of the primary's east-west gateway (an output of IstioPrimary, never a pod IP) */
  remotePilotAddress: pulumi.Input<string>;
  /**
   * `remotePilotAddress` is an IP address (a GKE load balancer's, or a reserved one), so the v1
   * Endpoints `istiod` can point at it (see IstioRemote); default true. False for a load balancer
   * known by a hostname, for which the chart makes `istiod` an ExternalName Service instead.
   */
  remotePilotIsIp?: boolean;
}

/** The istiod Service's ports in the remote profile, by name, and the ports they reach on the primary's east-west gateway. */
export const REMOTE_ISTIOD_PORTS = [
  { name: "tcp-istiod", port: 15012, protocol: "TCP" },
  { name: "tcp-webhook", port: 15017, protocol: "TCP" },
] as const;

/**
 * Istio's `remote` profile on the burst cluster: no istiod of its own; sidecar injection and xDS come
 * from the primary's istiod through the east-west gateway at `remotePilotAddress`.
 */
export class IstioRemote extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly base: k8s.helm.v3.Release;
  public readonly istiod: k8s.helm.v3.Release;
  public readonly namespaceName: pulumi.Output<string>;
  /** the injection webhook path on the primary's istiod */
  public readonly injectionPath: string;
  /** the v1 Endpoints `istio-system/istiod` (absent when `remotePilotIsIp` is false) */
  public readonly istiodEndpoints?: k8s.core.v1.Endpoints;

  constructor(name: string, args: IstioRemoteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:IstioRemote", name, {}, opts);
    const clusterName = args.clusterName ?? ISTIO_CLUSTERS.burst;
    const controlPlane = args.controlPlaneClusterName ?? ISTIO_CLUSTERS.primary;
    const k = { parent: this, provider: args.provider };

    this.namespace = istioSystemNamespace(name, args.network, k, { "topology.istio.io/controlPlaneClusters": controlPlane });
    this.namespaceName = this.namespace.metadata.name;

    // The cluster name and network reach burst's sidecars only through this path: the primary's istiod
    // turns `cluster` and `net` into ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK. The remote profile
    // renders no istiod Deployment, mesh ConfigMap or injector ConfigMap, the only templates that read
    // `global.multiCluster.clusterName` and `global.network` (the `values` ConfigMap would merely echo
    // them, for debugging), so neither is passed.
    this.injectionPath = `/inject/cluster/${clusterName}/net/${args.network}`;
    const istiod = { profile: "remote", global: { configCluster: true, remotePilotAddress: args.remotePilotAddress }, istiodRemote: { injectionPath: this.injectionPath } };
    const core = baseAndIstiod(name, args, this.namespaceName, { base: { profile: "remote" }, istiod }, k);
    this.base = core.base;
    this.istiod = core.istiod;

    // The chart gives the selector-less Service `istiod` only an EndpointSlice. A kube-apiserver with
    // --enable-aggregator-routing (as GKE runs it) calls a Service-referenced webhook at the Service's
    // endpoints, and before Kubernetes 1.34 reads them from v1 Endpoints only
    // (kubernetes/kubernetes#129837): without this object the injector is "not found", and with
    // failurePolicy Fail no injected burst pod is ever created. Its ports are named as the Service's.
    if (args.remotePilotIsIp ?? true) {
      this.istiodEndpoints = new k8s.core.v1.Endpoints(
        `${name}-istiod-endpoints`,
        {
          metadata: { name: "istiod", namespace: this.namespaceName, labels: { app: "istiod", "app.kubernetes.io/managed-by": "istio-burst" } },
          subsets: [{ addresses: [{ ip: args.remotePilotAddress }], ports: REMOTE_ISTIOD_PORTS.map((p) => ({ ...p })) }],
        },
        // after the release, which creates the Service the Endpoints belong to
        { ...k, dependsOn: [this.istiod] },
      );
    }

    this.registerOutputs({ namespaceName: this.namespaceName });
  }
}
