import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { helmChart, type ChartSource } from "../k8s/charts";

/** The prometheus-community chart, a folder of that name in a chart folder. */
export const PROMETHEUS_CHART = "prometheus";

export interface PrometheusArgs {
  /** Kubernetes provider of the cluster to monitor (primary) */
  provider: k8s.Provider;
  /** namespace (istio-system, as Istio's addon) */
  namespace: pulumi.Input<string>;
  /** prometheus-community `prometheus` chart version (pinned) */
  chartVersion: string;
  /** where the chart comes from (the prometheus-community Helm repository, an OCI registry or a folder) */
  charts: ChartSource;
  /** scrape interval, a Prometheus duration */
  scrapeInterval: string;
  /** scrape timeout, at most the interval */
  scrapeTimeout: string;
  /** resources to wait for (istiod: the metrics it scrapes come from its sidecars) */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Prometheus as Istio's `samples/addons/prometheus.yaml` installs it (the prometheus-community chart
 * with its `kubernetes-pods` job, which scrapes the sidecars' merged metrics through their
 * `prometheus.io/*` annotations), at the stable in-cluster address the watcher is given.
 */
export class Prometheus extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  /** `http://prometheus.<namespace>.svc.cluster.local:9090` */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:Prometheus", name, {}, opts);
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: "prometheus",
        ...helmChart(args.charts, PROMETHEUS_CHART, args.chartVersion),
        namespace: args.namespace,
        timeout: 600,
        cleanupOnFail: true,
        values: {
          alertmanager: { enabled: false },
          "prometheus-pushgateway": { enabled: false },
          "prometheus-node-exporter": { enabled: false },
          "kube-state-metrics": { enabled: false },
          server: {
            fullnameOverride: "prometheus",
            podLabels: { "sidecar.istio.io/inject": "false" },
            persistentVolume: { enabled: false },
            service: { servicePort: 9090 },
            global: { scrape_interval: args.scrapeInterval, scrape_timeout: args.scrapeTimeout },
          },
        },
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    // Carries the release as a dependency: whoever uses the URL waits for Prometheus.
    this.url = pulumi
      .all([pulumi.output(args.namespace), this.release.id])
      .apply(([ns]) => `http://prometheus.${ns}.svc.cluster.local:9090`);

    this.registerOutputs({ url: this.url });
  }
}
