import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OWN_BURST_CA, OWN_BURST_KUBECONFIG, OWN_BURST_SERVER, OWN_BURST_TOKEN, OWN_PRIMARY_KUBECONFIG, OWN_PRIMARY_TOKEN, PULLABLE_IMAGES, freshMocks, isSecret, settleAll, valueOf } from "../helpers/pulumi";
import { DEFAULT_WATCHER_SETTINGS } from "../../packages/contract/src";
import type * as ConfigModule from "../../config";
import { chartFolder } from "../helpers/temp-folders";

/** Loads config.ts afresh with this stack config and returns `loadConfig` applied to it. */
function load(config: Record<string, string>) {
  freshMocks(config);
  let mod!: typeof ConfigModule;
  jest.isolateModules(() => {
    mod = require("../../config");
  });
  return mod;
}

function loadError(config: Record<string, string>): string {
  try {
    load(config);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("stack configuration", () => {
  it("has the documented defaults", () => {
    const { stackConfig, infraConfig, istioConfig, appsConfig, watcherConfig } = load({});
    expect(stackConfig.infra).toBe(infraConfig);
    expect(infraConfig).toMatchObject({
      gcp: { project: "burst-demo-123", zone: "us-west1-a", region: "us-west1", releaseChannel: "REGULAR", gkeMinVersion: "1.34" },
      primary: { nodeCount: 4, machineType: "e2-standard-2", diskSizeGb: 50 },
      // an idle burst cluster: no worker node, one small system node
      burst: { nodeCount: 0, autoscaling: { minNodes: 0, maxNodes: 5 }, machineType: "e2-standard-2", spot: false, system: { machineType: "e2-medium", nodeCount: 1 } },
      imagePlatform: "linux/amd64",
    });
    expect(infraConfig.primary.autoscaling).toBeUndefined();
    expect(infraConfig.primary.system).toBeUndefined();
    expect(infraConfig.existingPrimary).toBeUndefined();
    // no network key any more: the stack makes its own
    expect(Object.keys(infraConfig.gcp!).sort()).toEqual(["gkeMinVersion", "project", "region", "releaseChannel", "zone"]);
    expect(istioConfig.eastWestAddress).toBeUndefined();
    expect(istioConfig).toMatchObject({
      version: "1.31.4",
      charts: { kind: "repository", url: "https://istio-release.storage.googleapis.com/charts" },
      meshId: "mesh1",
      primaryNetwork: "network1",
      burstNetwork: "network1",
      multiNetwork: false,
      primaryClusterName: "primary",
      burstClusterName: "burst",
      eastWestExposure: "internal",
      eastWestSourceRanges: [],
      prometheusChartVersion: "27.37.0",
      prometheusCharts: { kind: "repository", url: "https://prometheus-community.github.io/helm-charts" },
      prometheusScrapeInterval: "5s",
      prometheusScrapeTimeout: "5s",
    });
    expect(appsConfig).toEqual({
      namespace: "default",
      frontendReplicas: 1,
      primaryWorkerReplicas: 2,
      workerHashRounds: 1,
      watcherReplicas: 2,
      images: { frontend: undefined, worker: undefined, watcher: undefined },
      burstWorkerPool: true,
    });
    expect(watcherConfig).toEqual(DEFAULT_WATCHER_SETTINGS);
  });

  it("reads every key when set", () => {
    const { stackConfig } = load({
      project: "other-proj-1",
      zone: "europe-west4-b",
      releaseChannel: "STABLE",
      gkeMinVersion: "1.35.1-gke.1396000",
      diskSizeGb: "100",
      primaryNodeCount: "3",
      primaryMachineType: "n2-standard-4",
      burstMinNodes: "0",
      burstMaxNodes: "10",
      burstMachineType: "e2-highcpu-8",
      burstSpot: "true",
      burstSystemMachineType: "e2-small",
      imagePlatform: "linux/arm64",
      istioVersion: "1.27.3",
      meshId: "m2",
      meshNetwork: "net2",
      eastWestExposure: "public",
      eastWestSourceRanges: "203.0.113.0/24",
      prometheusChartVersion: "27.1.0",
      scrapeInterval: "15s",
      appNamespace: "hashr",
      frontendReplicas: "0",
      primaryWorkerReplicas: "0",
      workerHashRounds: "1000",
      frontendImage: "us-west1-docker.pkg.dev/p/r/frontend:v1",
      workerImage: "ghcr.io/example/worker@sha256:" + "a".repeat(64),
      watcherImage: "docker.io/example/watcher:1.2.3",
      highRps: "100",
      lowRps: "0",
      pollInterval: "250ms",
      minDwell: "0",
      mode: "overflow",
      naturalWeights: "[90, 10]",
      burstWeights: '{"primary": 20, "burst": 80}',
      primaryCapacityRps: "50.5",
      stepWeight: "5",
      maxBurstWeight: "60",
      query: "sum(rate(x[1m]))",
      dryRun: "on",
    });
    expect(stackConfig.infra).toMatchObject({
      gcp: { project: "other-proj-1", zone: "europe-west4-b", region: "europe-west4", releaseChannel: "STABLE", gkeMinVersion: "1.35.1-gke.1396000" },
      primary: { nodeCount: 3, machineType: "n2-standard-4", diskSizeGb: 100 },
      burst: { nodeCount: 0, autoscaling: { minNodes: 0, maxNodes: 10 }, machineType: "e2-highcpu-8", spot: true, system: { machineType: "e2-small", nodeCount: 1 } },
      imagePlatform: "linux/arm64",
    });
    expect(stackConfig.istio).toMatchObject({ version: "1.27.3", meshId: "m2", primaryNetwork: "net2", burstNetwork: "net2", eastWestExposure: "public", eastWestSourceRanges: ["203.0.113.0/24"], prometheusChartVersion: "27.1.0", prometheusScrapeInterval: "15s", prometheusScrapeTimeout: "10s" });
    expect(stackConfig.apps).toMatchObject({
      namespace: "hashr",
      frontendReplicas: 0,
      primaryWorkerReplicas: 0,
      workerHashRounds: 1000,
      images: { frontend: "us-west1-docker.pkg.dev/p/r/frontend:v1", watcher: "docker.io/example/watcher:1.2.3" },
    });
    // every watcher key, one at a time, in tests/stack/watcher-settings.test.ts
    expect(stackConfig.watcher).toMatchObject({ highRps: 100, lowRps: 0, pollInterval: 250, minDwell: 0, mode: "overflow", dryRun: true });
  });

  it("accepts weights as a YAML list, a YAML map or the watcher's env form, and a deliberate 0", () => {
    const { watcherConfig, appsConfig } = load({ naturalWeights: "100,0", burstWeights: '{"primary":0,"burst":100}', primaryWorkerReplicas: "0" });
    expect(watcherConfig.naturalWeights).toEqual({ primary: 100, burst: 0 });
    expect(watcherConfig.burstWeights).toEqual({ primary: 0, burst: 100 });
    expect(load({ naturalWeights: "[90, 10]" }).watcherConfig.naturalWeights).toEqual({ primary: 90, burst: 10 });
    expect(appsConfig.primaryWorkerReplicas).toBe(0);
  });

  it("takes booleans as true/false, yes/no, on/off or 1/0", () => {
    expect(load({ burstSpot: "yes", burstWorkerPool: "0", dryRun: "TRUE" })).toMatchObject({
      infraConfig: { burst: { spot: true } },
      appsConfig: { burstWorkerPool: false },
      watcherConfig: { dryRun: true },
    });
    expect(load({ burstSpot: "off", burstWorkerPool: "on" })).toMatchObject({ infraConfig: { burst: { spot: false } }, appsConfig: { burstWorkerPool: true } });
  });

  it("normalises the scrape interval to a Prometheus duration", () => {
    expect(load({ scrapeInterval: "2" }).istioConfig).toMatchObject({ prometheusScrapeInterval: "2s", prometheusScrapeTimeout: "2s" });
    expect(load({ scrapeInterval: "1500ms" }).istioConfig).toMatchObject({ prometheusScrapeInterval: "1500ms", prometheusScrapeTimeout: "1500ms" });
    expect(load({ scrapeInterval: "1m" }).istioConfig).toMatchObject({ prometheusScrapeInterval: "60s", prometheusScrapeTimeout: "10s" });
  });

  it("leaves the queries to the watcher (derived there from NAMESPACE, RATE_WINDOW and BURST_CLUSTER) unless set", () => {
    const { watcherConfig } = load({ appNamespace: "hashr" });
    expect(watcherConfig.query).toBeUndefined();
    expect(watcherConfig.burstHealthQuery).toBeUndefined();
  });

  it("takes istio-burst:project over gcp:project", () => {
    expect(load({ project: "mine-12345" }).infraConfig.gcp?.project).toBe("mine-12345");
  });

  // [config, message fragment naming the key]
  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ["max < min nodes", { burstMinNodes: "4", burstMaxNodes: "2" }, /istio-burst:burstMaxNodes \(2\) must be at least istio-burst:burstMinNodes \(4\)/],
    ["zero primary nodes", { primaryNodeCount: "0" }, /istio-burst:primaryNodeCount \("0"\) must be an integer from 1 to 1000/],
    ["fractional node count", { burstMaxNodes: "2.5" }, /istio-burst:burstMaxNodes \("2.5"\) must be an integer/],
    ["non-numeric node count", { primaryNodeCount: "four" }, /istio-burst:primaryNodeCount \("four"\)/],
    ["Istio version 'latest'", { istioVersion: "latest" }, /istio-burst:istioVersion \("latest"\) must be a pinned Istio release/],
    ["a misspelt key (the engine takes any key)", { istioChartRepos: "/srv/charts" }, /istio-burst:istioChartRepos is not a key of this stack; did you mean istio-burst:istioChartRepo\?/],
    ["a key of another case", { highrps: "20" }, /istio-burst:highrps is not a key of this stack; did you mean istio-burst:highRps\?/],
    ["a key far from every key", { colour: "blue" }, /istio-burst:colour is not a key of this stack \(pulumi config rm istio-burst:colour/],
    ["Istio version range", { istioVersion: "1.31" }, /istio-burst:istioVersion \("1.31"\) must be a pinned Istio release like 1.31.4 \(not a range or "latest"\)/],
    ["Istio version range with a wildcard", { istioVersion: "1.31.x" }, /istio-burst:istioVersion \("1.31.x"\) must be a pinned Istio release/],
    ["Istio version range with a caret", { istioVersion: "^1.31.0" }, /istio-burst:istioVersion \("\^1.31.0"\) must be a pinned Istio release/],
    ["Istio version with v", { istioVersion: "v1.31.4" }, /istio-burst:istioVersion \("v1.31.4"\) must be a pinned Istio release/],
    // every watcher key's own bounds: tests/stack/watcher-settings.test.ts; here, the settings that must fit together
    ["lowRps >= highRps", { lowRps: "12", highRps: "10" }, /istio-burst:lowRps \(12\) must be a number below istio-burst:highRps \(10\)/],
    ["lowRps == highRps", { lowRps: "15" }, /istio-burst:lowRps \(15\) must be a number below istio-burst:highRps \(15\)/],
    ["weights not summing to 100", { naturalWeights: "[60, 30]" }, /istio-burst:naturalWeights \(\[60, 30\]\) must be two integers primary,burst in 0\.\.100 summing to 100/],
    ["weights not a pair", { naturalWeights: "[100]" }, /istio-burst:naturalWeights \(\[100\]\) must be two integers/],
    ["fractional weights", { naturalWeights: "[99.5, 0.5]" }, /istio-burst:naturalWeights/],
    ["burst weights not above the natural ones", { naturalWeights: "[50,50]", burstWeights: "[50,50]" }, /istio-burst:burstWeights \(\[50,50\]\) must be weights that send more to burst than istio-burst:naturalWeights \(50,50\)/],
    ["weights swapped", { naturalWeights: "0,100", burstWeights: "100,0" }, /istio-burst:burstWeights \(100,0\) must be weights that send more to burst/],
    ["two frontends", { frontendReplicas: "2" }, /istio-burst:frontendReplicas \("2"\) must be an integer from 0 to 1/],
    ["burstSpot not boolean", { burstSpot: "maybe" }, /istio-burst:burstSpot \("maybe"\) must be true or false/],
    ["zero scrape interval", { scrapeInterval: "0s" }, /istio-burst:scrapeInterval \(0s\) must be a duration such as .*, at least 1ms/],
    ["bad zone", { zone: "us-west1" }, /istio-burst:zone \("us-west1"\) must be a Compute Engine zone/],
    ["bad release channel", { releaseChannel: "stable" }, /istio-burst:releaseChannel \("stable"\) must be one of RAPID, REGULAR, STABLE/],
    ["bad namespace", { appNamespace: "Hashr_NS" }, /istio-burst:appNamespace \("Hashr_NS"\) must be a Kubernetes namespace name/],
    ["system namespace", { appNamespace: "istio-system" }, /istio-burst:appNamespace \("istio-system"\) must not be a system namespace/],
    ["bad image ref", { workerImage: "not an image" }, /istio-burst:workerImage \("not an image"\) must be an image reference/],
    ["negative replicas", { primaryWorkerReplicas: "-1" }, /istio-burst:primaryWorkerReplicas \("-1"\) must be an integer from 0 to 100/],
    ["the removed burstWorkerReplicas", { burstWorkerReplicas: "2" }, /istio-burst:burstWorkerReplicas is no longer read: the watcher owns the burst worker replicas; .*istio-burst:burstMinReplicas/],
    ["bad system machine type", { burstSystemMachineType: "tiny" }, /istio-burst:burstSystemMachineType \("tiny"\) must be a machine type/],
    ["burst replicas above the max", { burstReplicas: "6" }, /istio-burst:burstReplicas \(6\) must be an integer of at most istio-burst:burstMaxReplicas \(5\)/],
    ["prewarm above highRps", { prewarmRps: "20" }, /istio-burst:prewarmRps \(20\) must be a number of at most istio-burst:highRps \(15\)/],
    ["bad platform", { imagePlatform: "windows/amd64" }, /istio-burst:imagePlatform/],
    ["bad machine type", { burstMachineType: "big" }, /istio-burst:burstMachineType \("big"\) must be a machine type/],
    ["cap below natural burst weight", { naturalWeights: "[80,20]", maxBurstWeight: "10" }, /istio-burst:maxBurstWeight \(10\) must be an integer from 20 \(the burst weight of istio-burst:naturalWeights\) to 100/],
    ["system namespace istio-ingress", { appNamespace: "istio-ingress" }, /istio-burst:appNamespace \("istio-ingress"\) must not be a system namespace/],
    ["system namespace kube-*", { appNamespace: "kube-public" }, /istio-burst:appNamespace \("kube-public"\) must not be a system namespace/],
    ["a GKE version older than 1.32", { gkeMinVersion: "1.31" }, /istio-burst:gkeMinVersion \("1.31"\) must be 1.32 or newer: the pinned Istio release does not support older Kubernetes/],
    ["an old GKE patch version", { gkeMinVersion: "1.29.15-gke.1000" }, /istio-burst:gkeMinVersion \("1.29.15-gke.1000"\) must be 1.32 or newer/],
    ["GKE version 'latest'", { gkeMinVersion: "latest" }, /istio-burst:gkeMinVersion \("latest"\) must be a GKE version like 1.34 or 1.34.1-gke.1234000/],
    ["a GKE version with a v", { gkeMinVersion: "v1.34" }, /istio-burst:gkeMinVersion \("v1.34"\) must be a GKE version like/],
    ["a GKE version of another major", { gkeMinVersion: "2.0" }, /istio-burst:gkeMinVersion \("2.0"\) must be a GKE version like/],
    ["a GKE version with a bad build", { gkeMinVersion: "1.34.1-gke" }, /istio-burst:gkeMinVersion \("1.34.1-gke"\) must be a GKE version like/],
    ["the removed network key", { network: "default" }, /istio-burst:network is no longer read: the GKE clusters now run on the stack's own VPC network .*pulumi config rm istio-burst:network.*replaces both GKE clusters/],
    ["the removed eastWestInternal key", { eastWestInternal: "true" }, /istio-burst:eastWestInternal is no longer read: replaced by istio-burst:eastWestExposure: internal \(was true\) or public \(was false/],
    ["an exposure that is neither", { eastWestExposure: "private" }, /istio-burst:eastWestExposure \("private"\) must be one of internal, public/],
    ["public gateways on one network without source ranges", { eastWestExposure: "public" }, /istio-burst:eastWestSourceRanges is required with public east-west gateways \(istio-burst:eastWestExposure "public"\).*0\.0\.0\.0\/0 to open them/],
    ["an east-west address with a GKE primary", { eastWestAddress: "10.10.0.9" }, /istio-burst:eastWestAddress is read only with istio-burst:primaryKubeconfig: for a GKE primary the stack reserves/],
  ];
  it.each(invalid)("rejects %s with a message naming the key", (_what, config, message) => {
    expect(loadError(config)).toMatch(message);
  });

  it("requires a project", () => {
    const { loadConfig } = load({});
    freshMocks({ "gcp:project": "" });
    expect(() => loadConfig(new pulumi.Config("istio-burst"), new pulumi.Config("gcp"))).toThrow(
      /istio-burst:project is required \(or set gcp:project\)/,
    );
  });

  it("reports every problem at once, as a pulumi.RunError (no stack trace in the CLI)", () => {
    const { loadConfig, ConfigError } = load({});
    freshMocks({ lowRps: "12", highRps: "x", mode: "x", burstMaxNodes: "0" });
    let err: unknown;
    try {
      loadConfig(new pulumi.Config("istio-burst"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as InstanceType<typeof ConfigError>).problems).toHaveLength(3);
  });

  it("fails when the watcher would read the env the stack generates differently, naming the key", () => {
    // A contract whose env writer and parser disagree on MIN_DWELL: the stack must notice at preview.
    const contract = path.resolve(__dirname, "../../packages/contract/src/index.ts");
    const actual = jest.requireActual(contract);
    jest.doMock(contract, () => ({ ...actual, watcherSettingsEnv: (s: never) => ({ ...actual.watcherSettingsEnv(s), MIN_DWELL: "1s" }) }));
    try {
      expect(() => load({})).toThrow("istio-burst:minDwell: the watcher reads MIN_DWELL=1s as 1000, not 10000");
    } finally {
      jest.dontMock(contract);
    }
    expect(load({}).watcherConfig.minDwell).toBe(10_000);
  });
});

describe("networks and an existing primary", () => {
  const own = { primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, eastWestSourceRanges: "198.51.100.0/24", ...imageKeys() };
  function imageKeys() {
    return { frontendImage: PULLABLE_IMAGES.frontend, workerImage: PULLABLE_IMAGES.worker, watcherImage: PULLABLE_IMAGES.watcher };
  }

  it("without primaryKubeconfig: a GKE pair on one network, internal east-west gateways, no source ranges needed", () => {
    const { infraConfig, istioConfig } = load({});
    expect(infraConfig.existingPrimary).toBeUndefined();
    expect(istioConfig).toMatchObject({ primaryNetwork: "network1", burstNetwork: "network1", multiNetwork: false, eastWestExposure: "internal", eastWestSourceRanges: [] });
    // public on one network (the fallback where the control plane cannot reach an internal address): only to the ranges written
    expect(load({ eastWestExposure: "public", eastWestSourceRanges: "198.51.100.0/24,203.0.113.0/24" }).istioConfig).toMatchObject({
      eastWestExposure: "public",
      eastWestSourceRanges: ["198.51.100.0/24", "203.0.113.0/24"],
    });
    // internal gateways may be restricted further, but need not be
    expect(load({ eastWestExposure: "internal", eastWestSourceRanges: "10.20.0.0/14" }).istioConfig).toMatchObject({ eastWestExposure: "internal", eastWestSourceRanges: ["10.20.0.0/14"] });
  });

  it("a GKE pair as two networks: burstNetwork differs, the gateways are public and restricted to the configured ranges", () => {
    const { istioConfig, infraConfig } = load({ burstNetwork: "network2", eastWestSourceRanges: '["198.51.100.0/24", "2001:db8::/32"]' });
    expect(infraConfig.existingPrimary).toBeUndefined();
    expect(istioConfig).toMatchObject({
      primaryNetwork: "network1",
      burstNetwork: "network2",
      multiNetwork: true,
      eastWestExposure: "public",
      eastWestSourceRanges: ["198.51.100.0/24", "2001:db8::/32"],
    });
    // both clusters share the VPC, so internal gateways are allowed, and then need no ranges
    expect(load({ burstNetwork: "network2", eastWestExposure: "internal" }).istioConfig).toMatchObject({ multiNetwork: true, eastWestExposure: "internal", eastWestSourceRanges: [] });
  });

  it("with primaryKubeconfig: the existing primary (a secret), two networks by default", async () => {
    const { infraConfig, istioConfig, appsConfig } = load(own);
    const primary = infraConfig.existingPrimary!;
    expect({ context: primary.context, cluster: primary.cluster }).toEqual({ context: "onprem-1-admin", cluster: "onprem-1" });
    expect(await isSecret(primary.kubeconfig)).toBe(true);
    expect(await valueOf(primary.kubeconfig)).toBe(OWN_PRIMARY_KUBECONFIG);
    expect(istioConfig).toMatchObject({ primaryNetwork: "network1", burstNetwork: "network2", multiNetwork: true, eastWestExposure: "public", eastWestSourceRanges: ["198.51.100.0/24"] });
    expect(istioConfig.eastWestAddress).toBeUndefined();
    expect(appsConfig.images).toEqual(PULLABLE_IMAGES);
  });

  it.each(["198.51.100.77", "2001:db8::77"])("with primaryKubeconfig: eastWestAddress %s, the address reserved for its east-west load balancer", (ip) => {
    expect(load({ ...own, eastWestAddress: ip }).istioConfig.eastWestAddress).toBe(ip);
  });

  it("accepts a JSON kubeconfig, exec credentials, and an explicit world-open range", () => {
    const kc = JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "eks", cluster: { server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "certificate-authority-data": "Y2E=" } }],
      contexts: [{ name: "eks", context: { cluster: "eks", user: "eks" } }],
      "current-context": "eks",
      users: [{ name: "eks", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"] } } }],
    });
    const { infraConfig, istioConfig } = load({ ...own, primaryKubeconfig: kc, meshNetwork: "onprem", burstNetwork: "gke", eastWestSourceRanges: "0.0.0.0/0" });
    expect(infraConfig.existingPrimary).toMatchObject({ context: "eks", cluster: "eks" });
    expect(istioConfig).toMatchObject({ primaryNetwork: "onprem", burstNetwork: "gke", eastWestSourceRanges: ["0.0.0.0/0"] });
  });

  const kubeconfig = (edit: (doc: any) => void) => {
    const doc: any = {
      apiVersion: "v1",
      clusters: [{ name: "c", cluster: { server: "https://192.0.2.10:6443" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
      users: [{ name: "u", user: { token: OWN_PRIMARY_TOKEN } }],
    };
    edit(doc);
    return JSON.stringify(doc);
  };
  // [what, config, message naming the key]
  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ["a kubeconfig that is not YAML", { ...own, primaryKubeconfig: `clusters: [\n  - name: c\n token: ${OWN_PRIMARY_TOKEN}` }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: it is not YAML/],
    ["a kubeconfig that is a string", { ...own, primaryKubeconfig: "just some text" }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: it is not a YAML map/],
    ["a kubeconfig without clusters", { ...own, primaryKubeconfig: kubeconfig((d) => delete d.clusters) }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: `clusters` must be a non-empty list/],
    ["a kubeconfig without users", { ...own, primaryKubeconfig: kubeconfig((d) => (d.users = [])) }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: `users` must be a non-empty list/],
    ["a kubeconfig without current-context", { ...own, primaryKubeconfig: kubeconfig((d) => delete d["current-context"]) }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: it has no `current-context`/],
    ["a current-context that is not a context", { ...own, primaryKubeconfig: kubeconfig((d) => (d["current-context"] = "y")) }, /istio-burst:primaryKubeconfig is not a usable kubeconfig: its current-context "y" is not in `contexts`/],
    ["a context naming a missing cluster", { ...own, primaryKubeconfig: kubeconfig((d) => (d.contexts[0].context.cluster = "d")) }, /names cluster "d", which is not in `clusters`/],
    ["a context naming a missing user", { ...own, primaryKubeconfig: kubeconfig((d) => (d.contexts[0].context.user = "v")) }, /names user "v", which is not in `users`/],
    ["a cluster without an https server", { ...own, primaryKubeconfig: kubeconfig((d) => (d.clusters[0].cluster.server = "http://192.0.2.10")) }, /cluster "c" has no https:\/\/ `server`/],
    ["a kubeconfig referring to files", { ...own, primaryKubeconfig: kubeconfig((d) => (d.clusters[0].cluster["certificate-authority"] = "/home/me/.minikube/ca.crt")) }, /refers to files \(certificate-authority of cluster "c"\).*kubectl config view --minify --flatten/],
    ["one network with an existing primary", { ...own, burstNetwork: "network1" }, /istio-burst:burstNetwork \("network1"\) must differ from istio-burst:meshNetwork \("network1"\) with istio-burst:primaryKubeconfig/],
    ["meshNetwork equal to the default burst network", { ...own, meshNetwork: "network2" }, /istio-burst:burstNetwork \("network2"\) must differ from istio-burst:meshNetwork \("network2"\)/],
    ["a network that is not a DNS label", { burstNetwork: "Network_2" }, /istio-burst:burstNetwork \("Network_2"\) must be a DNS label/],
    ["internal gateways with an existing primary", { ...own, eastWestExposure: "internal" }, /istio-burst:eastWestExposure \("internal"\) cannot be used with istio-burst:primaryKubeconfig: .*use "public"/],
    ["an east-west address that is not an IP", { ...own, eastWestAddress: "ew.example.com" }, /istio-burst:eastWestAddress \("ew.example.com"\) must be an IPv4 or IPv6 address/],
    ["an east-west address with a prefix", { ...own, eastWestAddress: "198.51.100.77/32" }, /istio-burst:eastWestAddress \("198.51.100.77\/32"\) must be an IPv4 or IPv6 address/],
    ["two public networks without source ranges (GKE pair)", { burstNetwork: "network2" }, /istio-burst:eastWestSourceRanges is required on two networks \(istio-burst:meshNetwork "network1", istio-burst:burstNetwork "network2"\) with public east-west gateways.*0\.0\.0\.0\/0 to open them/],
    ["two public networks without source ranges (existing primary)", { ...own, eastWestSourceRanges: "" }, /istio-burst:eastWestSourceRanges is required on two networks/],
    ["a source range that is not a CIDR", { burstNetwork: "network2", eastWestSourceRanges: "198.51.100.7" }, /istio-burst:eastWestSourceRanges \("198.51.100.7"\) must be CIDR ranges like 203.0.113.0\/24/],
    ["a source range with a bad prefix", { eastWestSourceRanges: "10.0.0.0/33" }, /istio-burst:eastWestSourceRanges \("10.0.0.0\/33"\) must be CIDR ranges.*not "10.0.0.0\/33"/],
    ["source ranges that are not a list of strings", { eastWestSourceRanges: "[1, 2]" }, /istio-burst:eastWestSourceRanges \("\[1, 2\]"\) must be CIDR ranges/],
    ["an existing primary without prebuilt images", { primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, eastWestSourceRanges: "198.51.100.0/24", workerImage: PULLABLE_IMAGES.worker }, /istio-burst:frontendImage is required with istio-burst:primaryKubeconfig: a cluster the stack does not create cannot pull from the stack's Artifact Registry/],
  ];
  it.each(invalid)("rejects %s with a message naming the key", (_what, config, message) => {
    const msg = loadError(config);
    expect(msg).toMatch(message);
    // never the kubeconfig's credentials
    expect(msg).not.toContain(OWN_PRIMARY_TOKEN);
  });

  it("names each missing image on its own line, and nothing else", () => {
    const msg = loadError({ primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, eastWestSourceRanges: "198.51.100.0/24" });
    const lines = msg.split("\n").slice(1).map((l) => l.trim());
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["istio-burst:frontendImage", "istio-burst:workerImage", "istio-burst:watcherImage"]);
  });

  it("reads primaryKubeconfig with getSecret", () => {
    const { loadConfig } = load({});
    freshMocks(own);
    const cfg = new pulumi.Config("istio-burst");
    const getSecret = jest.spyOn(cfg, "getSecret");
    expect(loadConfig(cfg).infra.existingPrimary).toBeDefined();
    expect(getSecret).toHaveBeenCalledWith("primaryKubeconfig");
  });

  it("isCidr: IPv4 and IPv6 ranges, nothing else", () => {
    const { isCidr } = load({});
    for (const ok of ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.7/32", "::/0", "2001:db8::/32"]) expect({ ok, valid: isCidr(ok) }).toEqual({ ok, valid: true });
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "2001:db8::/129", "a.b.c.d/8", " 10.0.0.0/8", "10.0.0.0/8/8"]) expect({ bad, valid: isCidr(bad) }).toEqual({ bad, valid: false });
  });
});

describe("an existing burst cluster and no Google Cloud", () => {
  const images = { frontendImage: PULLABLE_IMAGES.frontend, workerImage: PULLABLE_IMAGES.worker, watcherImage: PULLABLE_IMAGES.watcher };
  const ownBurst = { burstKubeconfig: OWN_BURST_KUBECONFIG, eastWestSourceRanges: "198.51.100.0/24", ...images };

  it("with burstKubeconfig: the existing burst cluster (a secret, its server and CA), two networks, workers on any node", async () => {
    const { infraConfig, istioConfig, appsConfig } = load(ownBurst);
    const burst = infraConfig.existingBurst!;
    expect({ context: burst.context, cluster: burst.cluster, server: burst.server, caData: burst.caData }).toEqual({
      context: "eks-burst-admin",
      cluster: "eks-burst",
      server: OWN_BURST_SERVER,
      caData: OWN_BURST_CA,
    });
    expect(await isSecret(burst.kubeconfig)).toBe(true);
    expect(await valueOf(burst.kubeconfig)).toBe(OWN_BURST_KUBECONFIG);
    expect(infraConfig.existingPrimary).toBeUndefined();
    expect(infraConfig.gcp?.project).toBe("burst-demo-123");
    expect(istioConfig).toMatchObject({ burstNetwork: "network2", multiNetwork: true, eastWestExposure: "public" });
    expect(appsConfig.burstWorkerPool).toBe(false);
    expect(load({ ...ownBurst, burstWorkerPool: "yes" }).appsConfig.burstWorkerPool).toBe(true);
  });

  it("with both kubeconfigs: no Google Cloud keys are read, none is required", () => {
    freshMocks({ "gcp:project": "" });
    const { loadConfig } = load({});
    freshMocks({ "gcp:project": "", primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, ...ownBurst });
    const read: string[] = [];
    const gcp = new Proxy(new pulumi.Config("gcp"), { get: (t, p) => (p === "get" ? (k: string) => (read.push(k), t.get(k)) : Reflect.get(t, p)) });
    const config = loadConfig(new pulumi.Config("istio-burst"), gcp);
    expect(config.infra.gcp).toBeUndefined();
    expect(read).toEqual([]);
    // a bad Google Cloud key does not matter then: nothing reads it
    expect(load({ primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, ...ownBurst, zone: "nowhere" }).infraConfig.gcp).toBeUndefined();
  });

  it("reads burstKubeconfig with getSecret", () => {
    const { loadConfig } = load({});
    freshMocks(ownBurst);
    const cfg = new pulumi.Config("istio-burst");
    const getSecret = jest.spyOn(cfg, "getSecret");
    expect(loadConfig(cfg).infra.existingBurst).toBeDefined();
    expect(getSecret).toHaveBeenCalledWith("burstKubeconfig");
  });

  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ["a burst kubeconfig that is not one", { ...ownBurst, burstKubeconfig: "just some text" }, /istio-burst:burstKubeconfig is not a usable kubeconfig: it is not a YAML map/],
    ["a burst kubeconfig with an http server", { ...ownBurst, burstKubeconfig: OWN_BURST_KUBECONFIG.replace("https://", "http://") }, /istio-burst:burstKubeconfig is not a usable kubeconfig: cluster "eks-burst" has no https:\/\/ `server`/],
    ["one network with an existing burst cluster", { ...ownBurst, burstNetwork: "network1" }, /istio-burst:burstNetwork \("network1"\) must differ from istio-burst:meshNetwork \("network1"\) with istio-burst:burstKubeconfig/],
    ["internal gateways with an existing burst cluster", { ...ownBurst, eastWestExposure: "internal" }, /istio-burst:eastWestExposure \("internal"\) cannot be used with istio-burst:burstKubeconfig/],
    ["an east-west address with a GKE primary and an existing burst cluster", { ...ownBurst, eastWestAddress: "198.51.100.77" }, /istio-burst:eastWestAddress is read only with istio-burst:primaryKubeconfig/],
    ["an existing burst cluster without images", { burstKubeconfig: OWN_BURST_KUBECONFIG, eastWestSourceRanges: "198.51.100.0/24" }, /istio-burst:frontendImage is required with istio-burst:burstKubeconfig/],
    ["burstWorkerPool not a boolean", { ...ownBurst, burstWorkerPool: "sometimes" }, /istio-burst:burstWorkerPool \("sometimes"\) must be true or false/],
    ["a short Redis password", { redisPassword: "short1" }, /istio-burst:redisPassword must be 16 to 128 letters and digits \(it is not shown here: it is a secret\)/],
    ["a Redis password that needs escaping in a URL", { redisPassword: "pass@word/with:colons" }, /istio-burst:redisPassword must be 16 to 128 letters and digits/],
  ];
  it.each(invalid)("rejects %s with a message naming the key", (_what, config, message) => {
    const msg = loadError(config);
    expect(msg).toMatch(message);
    expect(msg).not.toContain(OWN_BURST_TOKEN);
    if (config.redisPassword) expect(msg).not.toContain(config.redisPassword);
  });
});

describe("chart sources", () => {
  it("takes an https repository, an oci registry or a folder for each chart setting", () => {
    const istioDir = chartFolder({ base: "1.31.4", istiod: "1.31.4", gateway: "1.31.4" });
    const promDir = chartFolder({ prometheus: "27.37.0" });
    expect(load({ istioChartRepo: "https://mirror.example/istio/" }).istioConfig.charts).toEqual({ kind: "repository", url: "https://mirror.example/istio" });
    expect(load({ istioChartRepo: "oci://registry.example/istio-charts" }).istioConfig.charts).toEqual({ kind: "oci", url: "oci://registry.example/istio-charts" });
    const { istioConfig } = load({ istioChartRepo: istioDir, prometheusChartRepo: promDir });
    expect(istioConfig.charts).toEqual({ kind: "folder", path: istioDir });
    expect(istioConfig.prometheusCharts).toEqual({ kind: "folder", path: promDir });
  });

  const istioFolder = () => chartFolder({ base: "1.31.4", istiod: "1.31.4", gateway: "1.31.4" });
  const invalid: Array<[string, () => Record<string, string>, RegExp]> = [
    ["an http repository", () => ({ istioChartRepo: "http://mirror.example/charts" }), /istio-burst:istioChartRepo \("http:\/\/mirror.example\/charts"\): http:\/\/ is not a chart source; it must be an https:\/\/ Helm repository, an oci:\/\/ registry, or a folder/],
    ["a folder that does not exist", () => ({ prometheusChartRepo: "/no/such/charts" }), /istio-burst:prometheusChartRepo \("\/no\/such\/charts"\): it must be .*; there is no folder \/no\/such\/charts/],
    ["a folder without one of the charts", () => ({ istioChartRepo: chartFolder({ base: "1.31.4", istiod: "1.31.4" }) }), /istio-burst:istioChartRepo .*has no chart gateway \(gateway\/Chart.yaml\); it must hold base\/, istiod\/, gateway\//],
    [
      "a folder of the previous pin",
      () => ({ istioChartRepo: chartFolder({ base: "1.30.3", istiod: "1.30.3", gateway: "1.30.3" }) }),
      /istio-burst:istioChartRepo .*its chart base is version 1.30.3, not the pinned 1.31.4; a folder holds one release: point istio-burst:istioChartRepo at a folder of 1.31.4's charts, or set istio-burst:istioVersion to 1.30.3/,
    ],
    ["a folder that does not match istioVersion", () => ({ istioChartRepo: istioFolder(), istioVersion: "1.31.5" }), /istio-burst:istioChartRepo .*its chart base is version 1.31.4, not the pinned 1.31.5; .*or set istio-burst:istioVersion to 1.31.4/],
    ["a prometheus folder of another version", () => ({ prometheusChartRepo: chartFolder({ prometheus: "27.1.0" }) }), /istio-burst:prometheusChartRepo .*its chart prometheus is version 27.1.0, not the pinned 27.37.0/],
  ];
  it.each(invalid)("rejects %s with a message naming the key", (_what, config, message) => {
    expect(loadError(config())).toMatch(message);
  });
});

describe("a bad istioVersion stops the program before any resource", () => {
  /** Runs index.ts afresh with this config: what it threw, and every resource the engine was asked for. */
  async function run(config: Record<string, string>): Promise<{ error?: string; resources: string[] }> {
    const mocks = freshMocks(config);
    let error: string | undefined;
    jest.isolateModules(() => {
      try {
        require("../../index");
      } catch (e) {
        error = (e as Error).message;
      }
    });
    await settleAll();
    return { error, resources: mocks.resources.map((r) => `${r.type}::${r.name}`) };
  }

  const cases: Array<[string, () => Record<string, string>, RegExp]> = [
    ["a range", () => ({ istioVersion: "1.31" }), /istio-burst:istioVersion \("1.31"\) must be a pinned Istio release like 1.31.4 \(not a range or "latest"\)/],
    ["latest", () => ({ istioVersion: "latest" }), /istio-burst:istioVersion \("latest"\) must be a pinned Istio release/],
    [
      "a version the chart folder does not hold (istioVersion moved on, istioChartRepo still the previous release's folder)",
      () => ({ istioVersion: "1.31.4", istioChartRepo: chartFolder({ base: "1.30.3", istiod: "1.30.3", gateway: "1.30.3" }) }),
      /istio-burst:istioChartRepo \(".*"\): its chart base is version 1.30.3, not the pinned 1.31.4; .*istio-burst:istioVersion/,
    ],
  ];
  it.each(cases)("%s", async (_what, config, message) => {
    const { error, resources } = await run(config());
    expect(error).toMatch(message);
    expect(resources).toEqual([]);
  });

  it("while a good one, from a folder of its charts, gets the whole stack registered", async () => {
    const { error, resources } = await run({ istioVersion: "1.31.4", istioChartRepo: chartFolder({ base: "1.31.4", istiod: "1.31.4", gateway: "1.31.4" }) });
    expect(error).toBeUndefined();
    expect(resources).toEqual(expect.arrayContaining(["kubernetes:helm.sh/v3:Release::istio-primary-istiod", "kubernetes:helm.sh/v3:Release::istio-remote-istiod"]));
  });
});
