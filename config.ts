/**
 * Every configuration key of the stack, read once, typed and validated.
 *
 * `loadConfig` is pure (it only reads the `pulumi.Config` objects it is given) so that validation can be
 * unit-tested without running the program; the module-level `stackConfig` (and its slices
 * `infraConfig`, `istioConfig`, `appsConfig`, `watcherConfig`) is what the program uses.
 *
 * Every problem found is reported at once, one line per key, each naming the key
 * (`istio-burst:lowRps (12) must be below istio-burst:highRps (10)`), so `pulumi preview` fails before
 * any resource is registered. The README's Configuration section lists every key with its default.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseDuration } from "./packages/contract/src/duration";

export const CONFIG_NAMESPACE = "istio-burst";

/** Traffic weights in the order `[primary, burst]`: two integers in 0..100 summing to 100. */
export type Weights = readonly [primary: number, burst: number];

export type WatcherMode = "switch" | "overflow";
export const WATCHER_MODES: readonly WatcherMode[] = ["switch", "overflow"];

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

export interface WatcherConfig {
  /** switch to burst above this many requests/s */
  highRps: number;
  /** switch back below this many requests/s (hysteresis; < highRps) */
  lowRps: number;
  /** poll interval, as configured (Prometheus-style duration or seconds) */
  pollInterval: string;
  pollIntervalMs: number;
  /** minimum time between two weight changes */
  minDwell: string;
  minDwellMs: number;
  mode: WatcherMode;
  naturalWeights: Weights;
  burstWeights: Weights;
  /** overflow mode: requests/s primary serves before the excess goes to burst */
  primaryCapacityRps: number;
  /** overflow mode: the burst weight moves in multiples of this */
  stepWeight: number;
  /** overflow mode: upper bound of the burst weight */
  maxBurstWeight: number;
  /** PromQL giving the observed requests/s (default: the frontend sidecar's view, see DESIGN.md) */
  query: string;
  /** log decisions without patching the VirtualService */
  dryRun: boolean;
}

export interface StackConfig {
  infra: InfraConfig;
  istio: IstioConfig;
  apps: AppsConfig;
  watcher: WatcherConfig;
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
  prometheusScrapeInterval: "5s",
  appNamespace: "default",
  frontendReplicas: 1,
  primaryWorkerReplicas: 2,
  burstWorkerReplicas: 2,
  workerHashRounds: 1,
  highRps: 15,
  lowRps: 10,
  pollInterval: "1s",
  minDwell: "30s",
  mode: "switch" as WatcherMode,
  naturalWeights: [100, 0] as Weights,
  burstWeights: [0, 100] as Weights,
  stepWeight: 10,
  maxBurstWeight: 100,
  dryRun: false,
} as const;

/** The watcher's default query (DESIGN.md "Telemetry note"), for a namespace. */
export function defaultWatcherQuery(namespace: string): string {
  return (
    `sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",` +
    `destination_service="worker-service.${namespace}.svc.cluster.local"}[30s]))`
  );
}

/** Configuration errors, reported together; the message has one line per problem. */
export class ConfigError extends pulumi.RunError {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * A Prometheus-style duration (`250ms`, `1s`, `2m`, `1m30s`) or a plain number of seconds, in ms;
 * `undefined` when not a duration: the services' own grammar (imported from its source, so the
 * program does not depend on a built workspace package).
 */
export const parseDurationMs: (text: string) => number | undefined = parseDuration;

/** Milliseconds as a Prometheus duration: whole seconds as `5s`, else `250ms`. */
export function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
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
    if (raw === "true") return true;
    if (raw === "false") return false;
    this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be true or false`);
    return def;
  }

  duration(name: string, def: string, opts: { minMs?: number; positive?: boolean }): { text: string; ms: number } {
    const text = this.string(name, def);
    const ms = parseDurationMs(text);
    const min = opts.minMs;
    if (ms === undefined || (opts.positive && ms <= 0) || (min !== undefined && ms < min)) {
      const what = min !== undefined ? `a duration of at least ${promDuration(min)}` : opts.positive ? "a positive duration" : "a duration";
      this.problem(`${this.key(name)} (${JSON.stringify(text)}) must be ${what} like 250ms, 1s, 2m or a number of seconds`);
      return { text: def, ms: parseDurationMs(def)! };
    }
    return { text, ms };
  }

  /**
   * Weights `[primary, burst]`. Accepted forms: a YAML/JSON list `[100, 0]`, an object
   * `{primary: 100, burst: 0}`, or the watcher's env form `"100,0"`.
   */
  weights(name: string, def: Weights): Weights {
    const raw = this.string(name);
    if (raw === undefined) return def;
    let value: unknown;
    if (/^\s*\d+\s*,\s*\d+\s*$/.test(raw)) {
      value = raw.split(",").map((s) => Number(s.trim()));
    } else {
      try {
        value = this.cfg.getObject<unknown>(name);
      } catch {
        value = undefined;
      }
    }
    let pair: unknown[] | undefined;
    if (Array.isArray(value)) pair = value;
    else if (value !== null && typeof value === "object" && "primary" in value && "burst" in value) {
      const o = value as { primary: unknown; burst: unknown };
      pair = [o.primary, o.burst];
    }
    const valid =
      pair !== undefined &&
      pair.length === 2 &&
      pair.every((w) => typeof w === "number" && Number.isInteger(w) && w >= 0 && w <= 100);
    if (!valid) {
      this.problem(`${this.key(name)} (${raw}) must be two integer weights [primary, burst] in 0..100`);
      return def;
    }
    const [p, b] = pair as number[];
    if (p + b !== 100) {
      this.problem(`${this.key(name)} (${raw}) weights must sum to 100, not ${p + b}`);
      return def;
    }
    return [p, b];
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

  // --- istio ---------------------------------------------------------------------------------------
  const scrapeMs = r.duration("prometheusScrapeInterval", DEFAULTS.prometheusScrapeInterval, { positive: true }).ms;
  const istio: IstioConfig = {
    version: r.matching("istioVersion", DEFAULTS.istioVersion, VERSION_RE, "a pinned Istio release like 1.28.0 (not a range or \"latest\")"),
    chartRepo: DEFAULTS.istioChartRepo,
    meshId: r.matching("meshId", DEFAULTS.meshId, DNS_LABEL_RE, "a DNS label (lowercase letters, digits, hyphens)"),
    network: r.matching("meshNetwork", DEFAULTS.meshNetwork, DNS_LABEL_RE, "a DNS label (lowercase letters, digits, hyphens)"),
    primaryClusterName: "primary",
    burstClusterName: "burst",
    eastWestInternal: r.boolean("eastWestInternal", DEFAULTS.eastWestInternal),
    prometheusChartVersion: r.matching("prometheusChartVersion", DEFAULTS.prometheusChartVersion, VERSION_RE, "a pinned chart version like 27.37.0"),
    prometheusScrapeInterval: promDuration(scrapeMs),
    prometheusScrapeTimeout: promDuration(Math.min(scrapeMs, 10_000)),
  };

  // --- apps ----------------------------------------------------------------------------------------
  const namespace = r.matching("appNamespace", DEFAULTS.appNamespace, DNS_LABEL_RE, "a Kubernetes namespace name (DNS label)");
  if (namespace === "istio-system" || namespace.startsWith("kube-"))
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

  // --- watcher -------------------------------------------------------------------------------------
  const highRps = r.number("highRps", DEFAULTS.highRps, { minExclusive: 0 });
  const lowRps = r.number("lowRps", DEFAULTS.lowRps, { min: 0 });
  if (lowRps >= highRps) r.problem(`${r.key("lowRps")} (${lowRps}) must be below ${r.key("highRps")} (${highRps})`);
  // The watcher refuses a poll interval under 50ms.
  const pollInterval = r.duration("pollInterval", DEFAULTS.pollInterval, { minMs: 50 });
  const minDwell = r.duration("minDwell", DEFAULTS.minDwell, {});
  const mode = r.oneOf("mode", DEFAULTS.mode, WATCHER_MODES);
  const naturalWeights = r.weights("naturalWeights", DEFAULTS.naturalWeights);
  const burstWeights = r.weights("burstWeights", DEFAULTS.burstWeights);
  // What the watcher requires at start: bursting sends more to burst than the natural weights.
  if (!(burstWeights[1] > naturalWeights[1]))
    r.problem(`${r.key("burstWeights")} (${burstWeights.join(",")}) must send more to burst than ${r.key("naturalWeights")} (${naturalWeights.join(",")})`);
  const primaryCapacityRps = r.number("primaryCapacityRps", highRps, { minExclusive: 0 });
  const stepWeight = r.number("stepWeight", DEFAULTS.stepWeight, { integer: true, min: 1, max: 100 });
  const maxBurstWeight = r.number("maxBurstWeight", DEFAULTS.maxBurstWeight, { integer: true, min: 0, max: 100 });
  if (maxBurstWeight < naturalWeights[1])
    r.problem(`${r.key("maxBurstWeight")} (${maxBurstWeight}) must be at least the burst weight of ${r.key("naturalWeights")} (${naturalWeights[1]})`);
  const watcher: WatcherConfig = {
    highRps,
    lowRps,
    pollInterval: pollInterval.text,
    pollIntervalMs: pollInterval.ms,
    minDwell: minDwell.text,
    minDwellMs: minDwell.ms,
    mode,
    naturalWeights,
    burstWeights,
    primaryCapacityRps,
    stepWeight,
    maxBurstWeight,
    query: r.string("query") ?? defaultWatcherQuery(namespace),
    dryRun: r.boolean("dryRun", DEFAULTS.dryRun),
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { infra, istio, apps, watcher };
}

/** The stack's configuration, read once when the program starts. */
export const stackConfig: StackConfig = loadConfig(new pulumi.Config(CONFIG_NAMESPACE));
export const infraConfig: InfraConfig = stackConfig.infra;
export const istioConfig: IstioConfig = stackConfig.istio;
export const appsConfig: AppsConfig = stackConfig.apps;
export const watcherConfig: WatcherConfig = stackConfig.watcher;
