import { providerName, runProgram, settleAll, valueOf, programRun } from "../helpers/pulumi";

describe("Prometheus in primary", () => {
  const run = programRun();

  it("is the pinned prometheus-community chart in istio-system on the primary provider", () => {
    const r = run.mocks.get("kubernetes:helm.sh/v3:Release", "prometheus-release");
    expect(providerName(r.provider)).toBe("primary-k8s");
    expect(r.inputs).toMatchObject({
      name: "prometheus",
      chart: "prometheus",
      version: "27.37.0",
      namespace: "istio-system",
      repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
    });
  });

  it("is configured like Istio's addon: only the server, its kubernetes-pods job, a stable Service name and port", () => {
    const v = run.mocks.get("kubernetes:helm.sh/v3:Release", "prometheus-release").inputs.values;
    expect(v.alertmanager.enabled).toBe(false);
    expect(v["prometheus-pushgateway"].enabled).toBe(false);
    expect(v["prometheus-node-exporter"].enabled).toBe(false);
    expect(v["kube-state-metrics"].enabled).toBe(false);
    expect(v.server).toMatchObject({
      fullnameOverride: "prometheus",
      service: { servicePort: 9090 },
      podLabels: { "sidecar.istio.io/inject": "false" },
      global: { scrape_interval: "5s", scrape_timeout: "5s" },
    });
  });

  it("exports the stable in-cluster address the watcher is given", async () => {
    expect(await valueOf(run.program.prometheusUrl)).toBe("http://prometheus.istio-system.svc.cluster.local:9090");
  });

  it("takes chart version and scrape interval from config (timeout capped at 10s)", async () => {
    const { mocks } = await runProgram({ prometheusChartVersion: "27.1.0", scrapeInterval: "30s" });
    await settleAll();
    const r = mocks.get("kubernetes:helm.sh/v3:Release", "prometheus-release").inputs;
    expect(r.version).toBe("27.1.0");
    expect(r.values.server.global).toEqual({ scrape_interval: "30s", scrape_timeout: "10s" });
  });
});
