import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_NAMESPACE } from "../packages/contract/src";
import { helmChart, type ChartSource } from "../k8s/charts";

/** Istio's namespace in both clusters; a shared name, written in the contract. */
export { ISTIO_NAMESPACE };

/** How long a Helm release may take to become ready (load balancers take a minute or two on GKE), seconds. */
export const RELEASE_TIMEOUT_S = 600;

/**
 * The first address (IP, else hostname) of a LoadBalancer Service, read back after the Helm release that
 * created it is ready (Helm's wait includes the load balancer's ingress address).
 */
export function loadBalancerAddress(
  name: string,
  serviceId: pulumi.Input<string>,
  opts: { parent: pulumi.Resource; provider: k8s.Provider; dependsOn: pulumi.Input<pulumi.Resource>[] },
): pulumi.Output<string> {
  const svc = k8s.core.v1.Service.get(name, serviceId, opts);
  return pulumi.all([svc.status, serviceId]).apply(([status, id]) => {
    const ingress = status?.loadBalancer?.ingress?.[0];
    const address = ingress?.ip || ingress?.hostname;
    if (!address && !pulumi.runtime.isDryRun())
      throw new pulumi.ResourceError(`Service ${id} has no load-balancer address yet; run pulumi up again once it has one`, opts.parent);
    return address ?? "";
  });
}

/** The Istio charts the stack installs, each a folder of that name in a chart folder. */
export const ISTIO_CHARTS = ["base", "istiod", "gateway"] as const;

/** Common Helm release arguments for an Istio chart at a pinned version, from where the charts are. */
export function istioChart(chart: (typeof ISTIO_CHARTS)[number], version: string, charts: ChartSource) {
  return { ...helmChart(charts, chart, version), namespace: ISTIO_NAMESPACE, timeout: RELEASE_TIMEOUT_S, cleanupOnFail: true };
}

/** The parent and provider of an Istio component's children. */
export interface K8sChildOpts {
  parent: pulumi.Resource;
  provider: k8s.Provider;
}

/** Istio's API groups of the objects the stack writes. */
export const ISTIO_NETWORKING = "networking.istio.io/v1";
export const ISTIO_SECURITY = "security.istio.io/v1";

/** An Istio object (a Gateway, VirtualService, DestinationRule or a security policy); networking.istio.io/v1 unless told. */
export function istioObject(
  resourceName: string,
  object: { apiVersion?: string; kind: string; metadata: Record<string, pulumi.Input<unknown>>; spec: Record<string, unknown> },
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(resourceName, { apiVersion: object.apiVersion ?? ISTIO_NETWORKING, kind: object.kind, metadata: object.metadata, spec: object.spec }, opts);
}

/** A cluster's istio-system namespace, labelled with its Istio network (and annotated, on a remote). */
export function istioSystemNamespace(name: string, network: string, k: K8sChildOpts, annotations?: Record<string, string>): k8s.core.v1.Namespace {
  const metadata = { name: ISTIO_NAMESPACE, labels: { "topology.istio.io/network": network }, ...(annotations ? { annotations } : {}) };
  return new k8s.core.v1.Namespace(`${name}-istio-system`, { metadata }, k);
}

/** Istio's releases `istio-base` and `istiod` (after it), at the pinned version from these charts, in istio-system, with these values. */
export function baseAndIstiod(
  name: string,
  { version, charts }: { version: string; charts: ChartSource },
  namespace: pulumi.Input<string>,
  values: { base: Record<string, unknown>; istiod: Record<string, unknown> },
  k: K8sChildOpts,
): { base: k8s.helm.v3.Release; istiod: k8s.helm.v3.Release } {
  const base = new k8s.helm.v3.Release(`${name}-base`, { ...istioChart("base", version, charts), name: "istio-base", namespace, values: values.base }, k);
  const istiod = new k8s.helm.v3.Release(
    `${name}-istiod`,
    { ...istioChart("istiod", version, charts), name: "istiod", namespace, values: values.istiod },
    { ...k, dependsOn: [base] },
  );
  return { base, istiod };
}
