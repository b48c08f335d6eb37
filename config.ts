/**
 * Every configuration key of the stack, read once, typed and validated.
 *
 * `loadConfig` is pure (it only reads the `pulumi.Config` objects it is given) so that validation can be
 * unit-tested without running the program; the module-level `stackConfig` (and its slices
 * `infraConfig`, `istioConfig`, `appsConfig`, `watcherConfig`) is what the program uses.
 *
 * Every problem found is reported at once, one line per key, each naming the key
 * (`istio-burst:lowRps (12) must be a number below istio-burst:highRps (10)`), so `pulumi preview` fails
 * before any resource is registered. The watcher's keys are the rows of the contract's settings table
 * (packages/contract/src/watcher-settings.ts), read with its parser. The README's Configuration
 * section lists every key with its default.
 */
import * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import {
  DEFAULT_NAMESPACE,
  ISTIO_CLUSTERS,
  WATCHER_SETTINGS,
  formatDuration,
  parseBoolean,
  parseWatcherSettings,
  watcherSettingsEnv,
  type SettingSpec,
  type WatcherSettings,
} from "./packages/contract/src";

export const CONFIG_NAMESPACE = "istio-burst";

export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";
export const RELEASE_CHANNELS: readonly ReleaseChannel[] = ["RAPID", "REGULAR", "STABLE"];

/** One GKE cluster's size and shape. */
export interface ClusterConfig {
  /** machine type of the node pool's nodes */
  machineType: string;
  /** boot disk size per node, GB */
  diskSizeGb: number;
  /** fixed node count (primary) or the autoscaler's starting size (burst) */
  nodeCount: number;
  /** autoscaling bounds per zone; absent = fixed size */
  autoscaling?: { minNodes: number; maxNodes: number };
  /** Spot VMs (cheaper, may be preempted) */
  spot: boolean;
}

export interface InfraConfig {
  /** Google Cloud project id (`istio-burst:project`, else `gcp:project`) */
  project: string;
  /** zone of both clusters, e.g. `us-west1-a` */
  zone: string;
  /** region derived from the zone, e.g. `us-west1` (Artifact Registry location) */
  region: string;
  /** VPC network both clusters and the firewall rule live in */
  network: string;
  /** GKE release channel */
  releaseChannel: ReleaseChannel;
  primary: ClusterConfig;
  burst: ClusterConfig;
  /** platform the images are built for (must match the node machine type's architecture) */
  imagePlatform: string;
}

export interface IstioConfig {
  /** pinned Istio release, e.g. `1.28.0` (chart version of base, istiod, gateway) */
  version: string;
  /** Helm repository of the Istio charts */
  chartRepo: string;
  /** `global.meshID` */
  meshId: string;
  /** `global.network`: both clusters are on one network (pods reach each other directly) */
  network: string;
  /** Istio cluster name (`global.multiCluster.clusterName`) of the primary cluster */
  primaryClusterName: string;
  /** Istio cluster name of the burst (remote) cluster */
  burstClusterName: string;
  /** east-west gateway (exposes istiod to the burst cluster) behind an internal, VPC-only load balancer */
  eastWestInternal: boolean;
  /** prometheus-community `prometheus` chart version */
  prometheusChartVersion: string;
  /** Prometheus scrape interval, normalised to a Prometheus duration (`5s`, `500ms`) */
  prometheusScrapeInterval: string;
  /** scrape timeout: the interval, at most 10s (Prometheus rejects a timeout above the interval) */
  prometheusScrapeTimeout: string;
}

export interface AppsConfig {
  /** namespace of the demo (frontend, workers, Redis, watcher) in both clusters; sidecar injection is enabled in it */
  namespace: string;
  /** frontend replicas (primary): 0 or 1, the paced request generator lives in one process */
  frontendReplicas: number;
  /** worker replicas in primary (no prefix) */
  primaryWorkerReplicas: number;
  /** worker replicas in burst (`PREFIX=bursty-`) */
  burstWorkerReplicas: number;
  /** worker `HASH_ROUNDS` (CPU cost per request) */
  workerHashRounds: number;
  /** prebuilt image refs; an absent one is built from this repository and pushed to Artifact Registry */
  images: { frontend?: string; worker?: string; watcher?: string };
}

export interface StackConfig {
  infra: InfraConfig;
  istio: IstioConfig;
  apps: AppsConfig;
  /** every watcher setting (the contract's table; durations in ms) */
  watcher: WatcherSettings;
}

/** Documented defaults (README's Configuration section, Pulumi.dev.yaml). */
export const DEFAULTS = {
  zone: "us-west1-a",
  network: "default",
  releaseChannel: "REGULAR" as ReleaseChannel,
  primaryNodeCount: 4,
  primaryMachineType: "e2-standard-2",
  burstMinNodes: 1,
  burstMaxNodes: 5,
  burstMachineType: "e2-standard-2",
  diskSizeGb: 50,
  burstSpot: false,
  imagePlatform: "linux/amd64",
  istioVersion: "1.28.0",
  istioChartRepo: "https://istio-release.storage.googleapis.com/charts",
  meshId: "mesh1",
  meshNetwork: "network1",
  eastWestInternal: true,
  prometheusChartVersion: "27.37.0",
  appNamespace: DEFAULT_NAMESPACE,
  frontendReplicas: 1,
  primaryWorkerReplicas: 2,
  burstWorkerReplicas: 2,
  workerHashRounds: 1,
} as const;

/** Configuration errors, reported together; the message has one line per problem. */
export class ConfigError extends pulumi.RunError {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Reads keys of one namespace, collecting problems instead of throwing at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly cfg: pulumi.Config) {}

  key(name: string): string {
    return `${this.cfg.name}:${name}`;
  }

  problem(msg: string): void {
    this.problems.push(msg);
  }

  /** a string, trimmed; empty counts as unset */
  string(name: string): string | undefined;
  string(name: string, def: string): string;
  string(name: string, def?: string): string | undefined {
    const raw = this.cfg.get(name)?.trim();
    return raw === undefined || raw === "" ? def : raw;
  }

  /** a string matching `pattern`, else a problem naming `what` it must be */
  matching(name: string, def: string, pattern: RegExp, what: string): string {
    const v = this.string(name, def);
    if (!pattern.test(v)) this.problem(`${this.key(name)} (${JSON.stringify(v)}) must be ${what}`);
    return v;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.string(name, def);
    if (!(allowed as readonly string[]).includes(v)) {
      this.problem(`${this.key(name)} (${JSON.stringify(v)}) must be one of ${allowed.join(", ")}`);
      return def;
    }
    return v as T;
  }

  number(name: string, def: number, opts: { integer?: boolean; min?: number; max?: number; minExclusive?: number } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = Number(raw);
    const kind = opts.integer ? "an integer" : "a number";
    const bounds: string[] = [];
    if (opts.min !== undefined) bounds.push(`>= ${opts.min}`);
    if (opts.minExclusive !== undefined) bounds.push(`> ${opts.minExclusive}`);
    if (opts.max !== undefined) bounds.push(`<= ${opts.max}`);
    const ok =
      Number.isFinite(v) &&
      (!opts.integer || Number.isInteger(v)) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.minExclusive === undefined || v > opts.minExclusive) &&
      (opts.max === undefined || v <= opts.max);
    if (!ok) {
      this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be ${kind}${bounds.length ? " " + bounds.join(" and ") : ""}`);
      return def;
    }
    return v;
  }

  boolean(name: string, def: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = parseBoolean(raw);
    if (v === undefined) this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be true or false`);
    return v ?? def;
  }
}

const VERSION_RE = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const ZONE_RE = /^[a-z]+-[a-z]+\d+-[a-z]$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GCP_NAME_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MACHINE_TYPE_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
/** an image reference: no whitespace, a repository path, optional tag and/or digest */
const IMAGE_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/**
 * The watcher's settings from their config keys, one problem line per bad key. Then what the watcher
 * will make of them: the env the stack generates (`watcherSettingsEnv`, as WatcherDeployment sets it)
 * is parsed back by env name, as the watcher parses its env, and every setting must come back equal.
 */
function readWatcherSettings(cfg: pulumi.Config, keyOf: (spec: SettingSpec) => string): { settings: WatcherSettings; problems: string[] } {
  const { settings, problems } = parseWatcherSettings((spec) => cfg.get(spec.key), keyOf);
  if (problems.length > 0) return { settings, problems: problems.map((p) => `${keyOf(p.spec)} (${p.raw}) must be ${p.requirement}`) };
  const env = watcherSettingsEnv(settings);
  const back = parseWatcherSettings((spec) => env[spec.env]);
  const lines = back.problems.map((p) => `${keyOf(p.spec)}: the watcher refuses ${p.spec.env}=${p.raw}: it must be ${p.requirement}`);
  for (const spec of WATCHER_SETTINGS) {
    const [sent, read] = [settings[spec.key], back.settings[spec.key]];
    if (!isDeepStrictEqual(read, sent))
      lines.push(`${keyOf(spec)}: the watcher reads ${spec.env}=${env[spec.env] ?? "(unset)"} as ${JSON.stringify(read)}, not ${JSON.stringify(sent)}`);
  }
  return { settings, problems: lines };
}

/**
 * Reads and validates every key of the stack.
 * @param cfg    the `istio-burst` namespace
 * @param gcpCfg the `gcp` namespace (only `gcp:project`, as the fallback of `istio-burst:project`)
 * @throws ConfigError listing every invalid key
 */
export function loadConfig(cfg: pulumi.Config, gcpCfg: pulumi.Config = new pulumi.Config("gcp")): StackConfig {
  const r = new Reader(cfg);

  // --- infra ---------------------------------------------------------------------------------------
  const project = r.string("project") ?? gcpCfg.get("project") ?? "";
  if (project === "") r.problem(`${r.key("project")} is required (or set gcp:project): the Google Cloud project id`);
  else if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(project))
    r.problem(`${r.key("project")} (${JSON.stringify(project)}) must be a Google Cloud project id (6-30 lowercase letters, digits, hyphens)`);
  const zone = r.matching("zone", DEFAULTS.zone, ZONE_RE, "a Compute Engine zone like us-west1-a");
  const region = zone.replace(/-[a-z]$/, "");
  const network = r.matching("network", DEFAULTS.network, GCP_NAME_RE, "a VPC network name");
  const releaseChannel = r.oneOf("releaseChannel", DEFAULTS.releaseChannel, RELEASE_CHANNELS);
  const diskSizeGb = r.number("diskSizeGb", DEFAULTS.diskSizeGb, { integer: true, min: 10, max: 65536 });
  const machineType = (name: string, def: string) => r.matching(name, def, MACHINE_TYPE_RE, "a machine type like e2-standard-2");

  const primaryNodeCount = r.number("primaryNodeCount", DEFAULTS.primaryNodeCount, { integer: true, min: 1, max: 1000 });
  const primaryMachineType = machineType("primaryMachineType", DEFAULTS.primaryMachineType);
  const burstMinNodes = r.number("burstMinNodes", DEFAULTS.burstMinNodes, { integer: true, min: 0, max: 1000 });
  const burstMaxNodes = r.number("burstMaxNodes", DEFAULTS.burstMaxNodes, { integer: true, min: 1, max: 1000 });
  if (burstMaxNodes < burstMinNodes)
    r.problem(`${r.key("burstMaxNodes")} (${burstMaxNodes}) must be at least ${r.key("burstMinNodes")} (${burstMinNodes})`);
  const burstMachineType = machineType("burstMachineType", DEFAULTS.burstMachineType);
  const burstSpot = r.boolean("burstSpot", DEFAULTS.burstSpot);
  const imagePlatform = r.matching("imagePlatform", DEFAULTS.imagePlatform, /^linux\/(amd64|arm64)$/, "linux/amd64 or linux/arm64");

  const infra: InfraConfig = {
    project,
    zone,
    region,
    network,
    releaseChannel,
    primary: { machineType: primaryMachineType, diskSizeGb, nodeCount: primaryNodeCount, spot: false },
    burst: {
      machineType: burstMachineType,
      diskSizeGb,
      // The autoscaler starts from the lower bound, but a node pool needs one node to schedule
      // the burst workers before the first scale-up.
      nodeCount: Math.max(burstMinNodes, 1),
      autoscaling: { minNodes: burstMinNodes, maxNodes: burstMaxNodes },
      spot: burstSpot,
    },
    imagePlatform,
  };

  // --- watcher: every setting of the contract's table, under its key -----------------------------------
  const watcher = readWatcherSettings(cfg, (spec) => r.key(spec.key));
  watcher.problems.forEach((p) => r.problem(p));

  // --- istio ---------------------------------------------------------------------------------------
  // Prometheus scrapes at the watcher's scrapeInterval: the watcher's default windows follow it.
  const scrapeMs = watcher.settings.scrapeInterval;
  const istio: IstioConfig = {
    version: r.matching("istioVersion", DEFAULTS.istioVersion, VERSION_RE, "a pinned Istio release like 1.28.0 (not a range or \"latest\")"),
    chartRepo: DEFAULTS.istioChartRepo,
    meshId: r.matching("meshId", DEFAULTS.meshId, DNS_LABEL_RE, "a DNS label (lowercase letters, digits, hyphens)"),
    network: r.matching("meshNetwork", DEFAULTS.meshNetwork, DNS_LABEL_RE, "a DNS label (lowercase letters, digits, hyphens)"),
    primaryClusterName: ISTIO_CLUSTERS.primary,
    burstClusterName: ISTIO_CLUSTERS.burst,
    eastWestInternal: r.boolean("eastWestInternal", DEFAULTS.eastWestInternal),
    prometheusChartVersion: r.matching("prometheusChartVersion", DEFAULTS.prometheusChartVersion, VERSION_RE, "a pinned chart version like 27.37.0"),
    prometheusScrapeInterval: formatDuration(scrapeMs),
    prometheusScrapeTimeout: formatDuration(Math.min(scrapeMs, 10_000)),
  };

  // --- apps ----------------------------------------------------------------------------------------
  const namespace = r.matching("appNamespace", DEFAULTS.appNamespace, DNS_LABEL_RE, "a Kubernetes namespace name (DNS label)");
  if (namespace.startsWith("kube-") || namespace === "istio-system" || namespace === "istio-ingress")
    r.problem(`${r.key("appNamespace")} (${JSON.stringify(namespace)}) must not be a system namespace`);
  const replicas = (name: string, def: number) => r.number(name, def, { integer: true, min: 0, max: 100 });
  const image = (name: string): string | undefined => {
    const v = r.string(name);
    if (v !== undefined && !IMAGE_RE.test(v))
      r.problem(`${r.key(name)} (${JSON.stringify(v)}) must be an image reference like us-west1-docker.pkg.dev/proj/repo/name:tag`);
    return v;
  };
  const apps: AppsConfig = {
    namespace,
    // One frontend at most: the request rate and the socket.io sessions live in one process.
    frontendReplicas: r.number("frontendReplicas", DEFAULTS.frontendReplicas, { integer: true, min: 0, max: 1 }),
    primaryWorkerReplicas: replicas("primaryWorkerReplicas", DEFAULTS.primaryWorkerReplicas),
    burstWorkerReplicas: replicas("burstWorkerReplicas", DEFAULTS.burstWorkerReplicas),
    workerHashRounds: r.number("workerHashRounds", DEFAULTS.workerHashRounds, { integer: true, min: 1, max: 1_000_000 }),
    images: { frontend: image("frontendImage"), worker: image("workerImage"), watcher: image("watcherImage") },
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { infra, istio, apps, watcher: watcher.settings };
}

/** The stack's configuration, read once when the program starts. */
export const stackConfig: StackConfig = loadConfig(new pulumi.Config(CONFIG_NAMESPACE));
export const infraConfig: InfraConfig = stackConfig.infra;
export const istioConfig: IstioConfig = stackConfig.istio;
export const appsConfig: AppsConfig = stackConfig.apps;
export const watcherConfig: WatcherSettings = stackConfig.watcher;
