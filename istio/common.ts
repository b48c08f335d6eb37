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
