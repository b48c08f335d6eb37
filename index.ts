/**
 * istio-burst: two GKE clusters joined by Istio (primary + remote), the demo's images, Prometheus, the
 * cross-cluster plumbing, and the String Hashr app with its routing and its watcher side by side.
 * Components are composed here; configuration is read in config.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { appsConfig, infraConfig, istioConfig, watcherConfig } from "./config";
import { describeWatcherSettings } from "./packages/contract/src";
import { CrossClusterFirewall } from "./infra/firewall";
import { GkeCluster } from "./infra/gke-cluster";
import { GcpProject } from "./infra/project";
import { AppImages, ArtifactRegistry } from "./infra/registry";
import { HashrApp } from "./apps/hashr";
import { IstioPrimary } from "./istio/primary";
import { Prometheus } from "./istio/prometheus";
import { IstioRemote } from "./istio/remote";
import { RemoteSecret } from "./istio/remote-secret";
import { HashrRouting } from "./istio/routing";
import { WatcherAccess } from "./istio/watcher-access";
import { WATCHER_SERVICE_URL, WatcherDeployment } from "./watcher/deployment";

// --- Google Cloud: project foundation, two clusters (created in parallel), firewall ---------------
const gcpProject = new GcpProject("project", { project: infraConfig.project, region: infraConfig.region, zone: infraConfig.zone });
const suffix = gcpProject.suffix;

function cluster(name: "primary" | "burst"): GkeCluster {
  const c = infraConfig[name];
  return new GkeCluster(name, {
    clusterName: pulumi.interpolate`${name}-${suffix}`,
    project: infraConfig.project,
    zone: infraConfig.zone,
    network: infraConfig.network,
    releaseChannel: infraConfig.releaseChannel,
    machineType: c.machineType,
    diskSizeGb: c.diskSizeGb,
    nodeCount: c.nodeCount,
    autoscaling: c.autoscaling,
    spot: c.spot,
    nodeTags: [pulumi.interpolate`istio-burst-${name}-${suffix}`],
    nodeServiceAccount: gcpProject.nodeServiceAccountEmail,
    gcpProvider: gcpProject.provider,
    dependsOn: [...gcpProject.apis, ...gcpProject.nodeRoles],
  });
}
const primaryCluster = cluster("primary");
const burstCluster = cluster("burst");

const firewall = new CrossClusterFirewall("mesh-pods", {
  ruleName: pulumi.interpolate`istio-burst-pods-${suffix}`,
  project: infraConfig.project,
  network: infraConfig.network,
  sourceRanges: [primaryCluster.podRange, burstCluster.podRange],
  targetTags: [primaryCluster.nodeTags[0], burstCluster.nodeTags[0]],
  gcpProvider: gcpProject.provider,
});

// --- Images: built and pushed to Artifact Registry unless prebuilt refs are configured -------------
const prebuilt = appsConfig.images;
const needsRegistry = prebuilt.frontend === undefined || prebuilt.worker === undefined || prebuilt.watcher === undefined;
const registry = needsRegistry
  ? new ArtifactRegistry("images", {
      repositoryId: pulumi.interpolate`istio-burst-${suffix}`,
      project: infraConfig.project,
      location: infraConfig.region,
      readers: [gcpProject.nodeServiceAccountEmail],
      gcpProvider: gcpProject.provider,
      dependsOn: gcpProject.apis,
    })
  : undefined;
const images = new AppImages("images", {
  registryHost: registry?.host ?? "",
  repositoryUrl: registry?.url ?? "",
  prebuilt,
  platform: infraConfig.imagePlatform,
  gcpProvider: gcpProject.provider,
  dependsOn: registry ? [registry] : [],
});

// --- Istio: primary control plane, remote profile on burst, remote secret, Prometheus --------------
const istioPrimary = new IstioPrimary("istio-primary", {
  provider: primaryCluster.provider,
  version: istioConfig.version,
  chartRepo: istioConfig.chartRepo,
  meshId: istioConfig.meshId,
  network: istioConfig.network,
  clusterName: istioConfig.primaryClusterName,
  eastWestInternal: istioConfig.eastWestInternal,
});
const istioRemote = new IstioRemote("istio-remote", {
  provider: burstCluster.provider,
  version: istioConfig.version,
  chartRepo: istioConfig.chartRepo,
  network: istioConfig.network,
  clusterName: istioConfig.burstClusterName,
  controlPlaneClusterName: istioConfig.primaryClusterName,
  remotePilotAddress: istioPrimary.eastWestGatewayAddress,
});
const remoteSecret = new RemoteSecret("remote-secret", {
  remoteProvider: burstCluster.provider,
  primaryProvider: primaryCluster.provider,
  remoteClusterName: istioConfig.burstClusterName,
  server: burstCluster.endpoint,
  caCertificate: burstCluster.caCertificate,
  readerReady: [istioRemote.base, istioRemote.istiod],
  primaryNamespace: istioPrimary.namespaceName,
});
const prometheus = new Prometheus("prometheus", {
  provider: primaryCluster.provider,
  namespace: istioPrimary.namespaceName,
  chartVersion: istioConfig.prometheusChartVersion,
  scrapeInterval: istioConfig.prometheusScrapeInterval,
  scrapeTimeout: istioConfig.prometheusScrapeTimeout,
  dependsOn: [istioPrimary.istiod],
});

// --- The String Hashr app (both clusters), its routing and the watcher (primary) --------------------
const app = new HashrApp("hashr", {
  primaryProvider: primaryCluster.provider,
  burstProvider: burstCluster.provider,
  namespace: appsConfig.namespace,
  images: { frontend: images.refs.frontend, worker: images.refs.worker },
  replicas: {
    frontend: appsConfig.frontendReplicas,
    primaryWorkers: appsConfig.primaryWorkerReplicas,
    burstWorkers: appsConfig.burstWorkerReplicas,
  },
  hashRounds: appsConfig.workerHashRounds,
  // the page's routing panel reads the watcher's /status through its Service
  watcherUrl: WATCHER_SERVICE_URL,
  dependsOn: {
    // The injector and the Istio CRDs must exist before pods and Istio objects.
    primary: [istioPrimary.istiod, istioPrimary.ingressGateway],
    // Burst pods are injected by the primary's istiod, which sees the burst cluster through the remote secret.
    burst: [istioRemote.istiod, remoteSecret],
  },
});
// Routing and watcher were children of HashrApp before: the aliases keep their objects (and the live weights).
const routing = new HashrRouting(
  "hashr-routing",
  {
    provider: primaryCluster.provider,
    namespace: app.namespace,
    naturalWeights: watcherConfig.naturalWeights,
    ingressGatewaySelector: istioPrimary.ingressGatewaySelector,
    dependsOn: [istioPrimary.istiod, istioPrimary.ingressGateway],
  },
  { aliases: [{ parent: app }] },
);
const watcher = new WatcherDeployment(
  "hashr-watcher",
  {
    provider: primaryCluster.provider,
    namespace: app.namespace,
    image: images.refs.watcher,
    prometheusUrl: prometheus.url,
    settings: watcherConfig,
    // the watcher reads the VirtualService at start
    dependsOn: [routing.workerVirtualService],
  },
  { aliases: [{ parent: app }] },
);
// Inside the mesh, only the frontend may call the watcher, and only GET /status.
new WatcherAccess("hashr-watcher-access", {
  provider: primaryCluster.provider,
  namespace: app.namespace,
  watcherSelector: watcher.podSelector,
  statusReaders: [app.frontendServiceAccountName],
  dependsOn: [istioPrimary.istiod],
});

// --- Stack outputs ---------------------------------------------------------------------------------
export const project = infraConfig.project;
export const zone = infraConfig.zone;
export const primaryClusterName = primaryCluster.clusterName;
export const burstClusterName = burstCluster.clusterName;
export const primaryKubeconfig = primaryCluster.kubeconfig;
export const burstKubeconfig = burstCluster.kubeconfig;
export const firewallRule = firewall.ruleName;
export const registryUrl = registry?.url;
export const imageRefs = images.refs;
export const eastWestGatewayAddress = istioPrimary.eastWestGatewayAddress;
export const ingressGatewayAddress = istioPrimary.ingressGatewayAddress;
/** The frontend through the ingress gateway (Gateway and VirtualService from the app's routing). */
export const frontendUrl = pulumi.interpolate`http://${istioPrimary.ingressGatewayAddress}/`;
export const prometheusUrl = prometheus.url;
export const remoteSecretName = remoteSecret.secretName;
export const appNamespace = app.namespace;
export const frontendService = app.frontendServiceName;
export const workerVirtualService = routing.workerVirtualServiceName;
/** The watcher's settings as text per config key (durations as `1s`, weights as `100,0`). */
export const watcherSettings = describeWatcherSettings(watcherConfig);
