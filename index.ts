/**
 * istio-burst: a primary cluster (on GKE, or an existing one from `primaryKubeconfig`) and an
 * autoscaling burst GKE cluster joined by Istio (primary + remote, on one network or two), the demo's
 * images, Prometheus, the cross-cluster plumbing, and the String Hashr app with its routing and its
 * watcher side by side. Components are composed here; configuration is read in config.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { appsConfig, infraConfig, istioConfig, watcherConfig, type ExistingClusterConfig, type GcpConfig } from "./config";
import { describeWatcherSettings } from "./packages/contract/src";
import { EastWestAddress } from "./infra/east-west-address";
import { ExistingCluster, type StackCluster } from "./infra/existing-cluster";
import { CrossClusterFirewall } from "./infra/firewall";
import { GkeCluster } from "./infra/gke-cluster";
import { NetworkMigrationNotice } from "./infra/migration";
import { GkeNetwork, type GkeClusterRole } from "./infra/network";
import { GcpProject } from "./infra/project";
import { AppImages, ArtifactRegistry } from "./infra/registry";
import { BurstScalerAccess } from "./watcher/stack/burst-access";
import { HashrApp } from "./apps/stack/hashr";
import { BURST_WORKER_NODES, burstWorkerPlacement, gkeTaintEffect } from "./k8s/workload";
import { EastWestGateway } from "./istio/east-west-gateway";
import { IstioPrimary } from "./istio/primary";
import { Prometheus } from "./istio/prometheus";
import { IstioRemote } from "./istio/remote";
import { RemoteSecret } from "./istio/remote-secret";
import { HashrRouting } from "./istio/routing";
import { WatcherAccess } from "./istio/watcher-access";
import { WATCHER_SERVICE_URL, WatcherDeployment } from "./watcher/stack/deployment";

// --- Clusters: each one on GKE, or an existing one from its kubeconfig; the firewall --------------------
// The GKE clusters are created in parallel, each in its own subnet of the stack's own network. The
// pod-range firewall rule exists only for a GKE pair on one Istio network; on two networks the
// east-west gateways carry the traffic between clusters. With both clusters given by kubeconfig, the
// stack creates no Google Cloud resource at all.
const gcp = infraConfig.gcp;
const gcpProject = gcp ? new GcpProject("project", { project: gcp.project, region: gcp.region, zone: gcp.zone }) : undefined;
const existing = { primary: infraConfig.existingPrimary, burst: infraConfig.existingBurst };
const gkeRoles = (["primary", "burst"] as const).filter((role) => existing[role] === undefined);
const gkeClusterName = (role: GkeClusterRole, project: GcpProject) => pulumi.interpolate`${role}-${project.suffix}`;
const stackNetwork =
  gcp && gcpProject
    ? new GkeNetwork("mesh-network", {
        networkName: pulumi.interpolate`istio-burst-${gcpProject.suffix}`,
        project: gcp.project,
        region: gcp.region,
        clusters: gkeRoles,
        gcpProvider: gcpProject.provider,
        dependsOn: gcpProject.apis,
      })
    : undefined;
// An earlier version of the stack put the GKE clusters on an existing network: say so when this update moves them.
if (stackNetwork && gcpProject)
  new NetworkMigrationNotice("network-migration", { gkeClusterNames: gkeRoles.map((role) => gkeClusterName(role, gcpProject)), networkName: stackNetwork.networkName });

function gkeCluster(name: GkeClusterRole, gcpConfig: GcpConfig, project: GcpProject, network: GkeNetwork): GkeCluster {
  const c = infraConfig[name];
  // The burst cluster: the main pool holds only the burst workers (labelled and tainted, autoscaled
  // from 0); its system pool of one small node runs everything else.
  const workerPool = name === "burst" ? BURST_WORKER_NODES : undefined;
  return new GkeCluster(name, {
    clusterName: gkeClusterName(name, project),
    project: gcpConfig.project,
    zone: gcpConfig.zone,
    network: network.networkName,
    subnet: network.subnets[name]!,
    releaseChannel: gcpConfig.releaseChannel,
    minMasterVersion: gcpConfig.gkeMinVersion,
    machineType: c.machineType,
    diskSizeGb: c.diskSizeGb,
    nodeCount: c.nodeCount,
    autoscaling: c.autoscaling,
    spot: c.spot,
    nodeLabels: workerPool ? { [workerPool.label.key]: workerPool.label.value } : undefined,
    nodeTaints: workerPool ? [{ key: workerPool.taint.key, value: workerPool.taint.value, effect: gkeTaintEffect(workerPool.taint.effect) }] : undefined,
    systemPool: c.system,
    nodeTags: [pulumi.interpolate`istio-burst-${name}-${project.suffix}`],
    nodeServiceAccount: project.nodeServiceAccountEmail,
    gcpProvider: project.provider,
    dependsOn: [...project.apis, ...project.nodeRoles],
  });
}
function stackCluster(name: GkeClusterRole, given: ExistingClusterConfig | undefined): StackCluster {
  if (given)
    return new ExistingCluster(name, { kubeconfig: given.kubeconfig, clusterName: given.cluster, server: given.server, caCertificate: given.caData });
  // config.ts reads Google Cloud's keys whenever a cluster is not given by kubeconfig
  return gkeCluster(name, gcp!, gcpProject!, stackNetwork!);
}
const primaryCluster = stackCluster("primary", existing.primary);
const burstCluster = stackCluster("burst", existing.burst);

const firewall =
  gcp && primaryCluster instanceof GkeCluster && burstCluster instanceof GkeCluster && !istioConfig.multiNetwork
    ? new CrossClusterFirewall("mesh-pods", {
        ruleName: pulumi.interpolate`istio-burst-pods-${gcpProject!.suffix}`,
        project: gcp.project,
        network: stackNetwork!.networkName,
        sourceRanges: [primaryCluster.podRange, burstCluster.podRange],
        targetTags: [primaryCluster.nodeTags[0], burstCluster.nodeTags[0]],
        gcpProvider: gcpProject!.provider,
      })
    : undefined;

// --- Images: built and pushed to Artifact Registry unless prebuilt refs are configured -------------
// (config.ts requires prebuilt refs whenever a cluster is not the stack's GKE cluster)
const prebuilt = appsConfig.images;
const needsRegistry = prebuilt.frontend === undefined || prebuilt.worker === undefined || prebuilt.watcher === undefined;
const registry =
  gcp && gcpProject && needsRegistry
    ? new ArtifactRegistry("images", {
        repositoryId: pulumi.interpolate`istio-burst-${gcpProject.suffix}`,
        project: gcp.project,
        location: gcp.region,
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
  gcpProvider: gcpProject?.provider,
  dependsOn: registry ? [registry] : [],
});
// A pod pulls the stack's images only once the nodes may: every Deployment waits for the reader grant.
const pullGrants: pulumi.Resource[] = registry?.readerGrants ?? [];

// --- Istio: primary control plane, remote profile on burst, remote secret, Prometheus --------------
// On two networks: the cross-network Gateway in the primary and an east-west gateway in burst too.
const eastWestExposure = { internal: istioConfig.eastWestExposure === "internal", sourceRanges: istioConfig.eastWestSourceRanges };
// The GKE primary's east-west gateway takes an address reserved for it: the burst cluster's
// remotePilotAddress then outlives a re-created Service. An existing primary's is the operator's (eastWestAddress).
const reservedEastWest =
  gcp && gcpProject && stackNetwork && primaryCluster instanceof GkeCluster
    ? new EastWestAddress("eastwest-address", {
        addressName: pulumi.interpolate`istio-burst-eastwest-${gcpProject.suffix}`,
        project: gcp.project,
        region: gcp.region,
        exposure: istioConfig.eastWestExposure,
        subnetwork: stackNetwork.subnets.primary!.name,
        gcpProvider: gcpProject.provider,
        dependsOn: gcpProject.apis,
      })
    : undefined;
const istioPrimary = new IstioPrimary("istio-primary", {
  provider: primaryCluster.provider,
  version: istioConfig.version,
  charts: istioConfig.charts,
  meshId: istioConfig.meshId,
  network: istioConfig.primaryNetwork,
  clusterName: istioConfig.primaryClusterName,
  eastWestInternal: eastWestExposure.internal,
  eastWestSourceRanges: eastWestExposure.sourceRanges,
  eastWestAddress: reservedEastWest?.address ?? istioConfig.eastWestAddress,
  exposeServices: istioConfig.multiNetwork,
});
const istioRemote = new IstioRemote("istio-remote", {
  provider: burstCluster.provider,
  version: istioConfig.version,
  charts: istioConfig.charts,
  network: istioConfig.burstNetwork,
  clusterName: istioConfig.burstClusterName,
  controlPlaneClusterName: istioConfig.primaryClusterName,
  remotePilotAddress: istioPrimary.eastWestGatewayAddress,
  // an IP by construction: reserved by the stack (GKE) or by the operator (eastWestAddress); another cloud's load balancer may have a hostname
  remotePilotIsIp: reservedEastWest !== undefined || istioConfig.eastWestAddress !== undefined,
});
// istiod in the primary reads the burst API server (GKE's public endpoint) with this token kubeconfig.
const remoteSecret = new RemoteSecret("remote-secret", {
  remoteProvider: burstCluster.provider,
  primaryProvider: primaryCluster.provider,
  remoteClusterName: istioConfig.burstClusterName,
  server: burstCluster.endpoint,
  caCertificate: burstCluster.caCertificate,
  readerReady: [istioRemote.base, istioRemote.istiod],
  primaryNamespace: istioPrimary.namespaceName,
});
const burstEastWest = istioConfig.multiNetwork
  ? new EastWestGateway("burst-eastwestgateway", {
      provider: burstCluster.provider,
      version: istioConfig.version,
      charts: istioConfig.charts,
      namespace: istioRemote.namespaceName,
      network: istioConfig.burstNetwork,
      ...eastWestExposure,
      // injected and configured by the primary's istiod, which needs the remote secret for both
      dependsOn: [istioRemote.base, istioRemote.istiod, remoteSecret],
    })
  : undefined;
const prometheus = new Prometheus("prometheus", {
  provider: primaryCluster.provider,
  namespace: istioPrimary.namespaceName,
  chartVersion: istioConfig.prometheusChartVersion,
  charts: istioConfig.prometheusCharts,
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
    // the burst pool starts at its idle size; the watcher scales it from there
    burstWorkers: watcherConfig.burstMinReplicas,
  },
  // on the burst worker pool where the stack made it (or `burstWorkerPool` says the cluster has one)
  burstWorkerPlacement: appsConfig.burstWorkerPool ? burstWorkerPlacement() : undefined,
  hashRounds: appsConfig.workerHashRounds,
  redisPassword: appsConfig.redisPassword,
  // the page's routing panel reads the watcher's /status through its Service
  watcherUrl: WATCHER_SERVICE_URL,
  dependsOn: {
    // The injector and the Istio CRDs must exist before pods and Istio objects.
    primary: [istioPrimary.istiod, istioPrimary.ingressGateway, ...pullGrants],
    // Burst pods are injected by the primary's istiod, which sees the burst cluster through the remote secret;
    // on two networks they reach Redis through the gateways.
    burst: [
      istioRemote.istiod,
      remoteSecret,
      ...(burstEastWest ? [burstEastWest] : []),
      ...(istioPrimary.crossNetworkGateway ? [istioPrimary.crossNetworkGateway] : []),
      ...pullGrants,
    ],
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
// The watcher's scaler: a ServiceAccount in burst that may only read and scale the burst worker
// Deployment, and its token kubeconfig as a Secret in primary that only the watcher mounts. The
// watcher reaches the burst API server (GKE's public endpoint) from the primary's pods.
const burstScaler = new BurstScalerAccess("burst-scaler", {
  burstProvider: burstCluster.provider,
  primaryProvider: primaryCluster.provider,
  burstNamespace: app.burstWorkers.deployment.metadata.namespace,
  primaryNamespace: app.namespace,
  clusterName: istioConfig.burstClusterName,
  server: burstCluster.endpoint,
  caCertificate: burstCluster.caCertificate,
});
const watcher = new WatcherDeployment(
  "hashr-watcher",
  {
    provider: primaryCluster.provider,
    namespace: app.namespace,
    image: images.refs.watcher,
    prometheusUrl: prometheus.url,
    settings: watcherConfig,
    replicas: appsConfig.watcherReplicas,
    burstScaler: {
      kubeconfigSecretName: burstScaler.secretName,
      kubeconfigKey: burstScaler.secretKey,
      namespace: appsConfig.namespace,
      deployment: burstScaler.deploymentName,
    },
    // the watcher reads the VirtualService at start
    dependsOn: [routing.workerVirtualService, ...pullGrants],
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
/** The Google Cloud project and zone (absent when both clusters are given by kubeconfig). */
export const project = gcp?.project;
export const zone = gcp?.zone;
/** The GKE clusters' network, the stack's own (absent when both clusters are given by kubeconfig). */
export const gkeNetwork = stackNetwork?.networkName;
export const primaryClusterName = primaryCluster.clusterName;
export const burstClusterName = burstCluster.clusterName;
export const primaryKubeconfig = primaryCluster.kubeconfig;
export const burstKubeconfig = burstCluster.kubeconfig;
export const firewallRule = firewall?.ruleName;
export const registryUrl = registry?.url;
export const imageRefs = images.refs;
export const eastWestGatewayAddress = istioPrimary.eastWestGatewayAddress;
/** The burst cluster's east-west gateway (two networks only). */
export const burstEastWestGatewayAddress = burstEastWest?.address;
export const ingressGatewayAddress = istioPrimary.ingressGatewayAddress;
/** The frontend through the ingress gateway (Gateway and VirtualService from the app's routing). */
export const frontendUrl = pulumi.interpolate`http://${istioPrimary.ingressGatewayAddress}/`;
export const prometheusUrl = prometheus.url;
export const remoteSecretName = remoteSecret.secretName;
/** The Istio release installed in both clusters (`istioVersion`): npm run doctor checks that both run it. */
export const istioVersion = istioConfig.version;
export const appNamespace = app.namespace;
export const frontendService = app.frontendServiceName;
export const workerVirtualService = routing.workerVirtualServiceName;
/** The watcher's settings as text per config key (durations as `1s`, weights as `100,0`). */
export const watcherSettings = describeWatcherSettings(watcherConfig);
