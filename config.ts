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
import * as yaml from "js-yaml";
import { isIP } from "node:net";
import { isDeepStrictEqual } from "node:util";
import type { EastWestExposure } from "./infra/east-west-address";
import { PINNED_VERSION_RE, parseChartSource, type ChartSource } from "./k8s/charts";
import { ISTIO_CHARTS } from "./istio/common";
import { PROMETHEUS_CHART } from "./istio/prometheus";
import {
  DEFAULT_NAMESPACE,
  ISTIO_CLUSTERS,
  WATCHER_SETTINGS,
  formatDuration,
  inBounds,
  numberRequirement,
  parseBoolean,
  parseWatcherSettings,
  watcherSettingsEnv,
  type Bounds,
  type SettingSpec,
  type WatcherSettings,
} from "./packages/contract/src";

export const CONFIG_NAMESPACE = "istio-burst";

export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";
export const RELEASE_CHANNELS: readonly ReleaseChannel[] = ["RAPID", "REGULAR", "STABLE"];

/** How the east-west gateways' load balancers may be exposed (`eastWestExposure`). */
export const EAST_WEST_EXPOSURES: readonly EastWestExposure[] = ["internal", "public"];

/**
 * The oldest GKE minor version `gkeMinVersion` accepts (1.32): the oldest Kubernetes the pinned Istio
 * (1.31) supports. Source: `MinK8SVersion = 32` in istioctl/pkg/install/k8sversion/version.go of
 * istio.io/istio at the pinned charts' own commit (release-1.31, eed52ebb66ad; its release note
 * updateMinK8sto1.32.yaml: "minimum supported Kubernetes version to 1.32.x"). istioctl warns below it.
 */
export const GKE_OLDEST_MINOR = 32;

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
  /** an always-on pool beside this one for the system pods (burst: this pool holds only the workers and may scale to 0); absent = one pool */
  system?: { machineType: string; nodeCount: number };
}

/** An existing cluster used instead of a GKE one (`primaryKubeconfig`, `burstKubeconfig`). */
export interface ExistingClusterConfig {
  /** the kubeconfig, a Pulumi secret; its current context is the one used */
  kubeconfig: pulumi.Output<string>;
  /** the kubeconfig's current context */
  context: string;
  /** the cluster that context names (the `primaryClusterName`/`burstClusterName` output) */
  cluster: string;
  /** that cluster's API server (`https://...`), as the other cluster's readers reach it */
  server: string;
  /** that cluster's CA (base64 PEM, `certificate-authority-data`); empty: the system's roots */
  caData: string;
}

/** The Google Cloud side of the stack: absent when both clusters are given by kubeconfig. */
export interface GcpConfig {
  /** Google Cloud project id (`istio-burst:project`, else `gcp:project`) */
  project: string;
  /** zone of the GKE clusters, e.g. `us-west1-a` */
  zone: string;
  /** region derived from the zone, e.g. `us-west1` (Artifact Registry location, the subnets' region) */
  region: string;
  /** GKE release channel */
  releaseChannel: ReleaseChannel;
  /** the GKE clusters' minimum control-plane version (`minMasterVersion`), e.g. `1.34`; the nodes follow the release channel */
  gkeMinVersion: string;
}

export interface InfraConfig {
  /** Google Cloud; absent when the stack creates no Google Cloud resource (`primaryKubeconfig` and `burstKubeconfig` both set) */
  gcp?: GcpConfig;
  /** the GKE primary's size and shape (unused with `existingPrimary`) */
  primary: ClusterConfig;
  /** the GKE burst cluster: its worker pool (autoscaled from `burstMinNodes`, default 0) and its one-node system pool (unused with `existingBurst`) */
  burst: ClusterConfig;
  /** an existing cluster as the primary, in place of the GKE one; absent = the stack creates the primary on GKE */
  existingPrimary?: ExistingClusterConfig;
  /** an existing cluster as the burst cluster, in place of the GKE one; absent = the stack creates it on GKE */
  existingBurst?: ExistingClusterConfig;
  /** platform the images are built for (must match the node machine type's architecture) */
  imagePlatform: string;
}

export interface IstioConfig {
  /** pinned Istio release, e.g. `1.31.4` (chart version of base, istiod, gateway) */
  version: string;
  /** where the Istio charts come from: a Helm repository, an OCI registry or a folder (`istioChartRepo`) */
  charts: ChartSource;
  /** `global.meshID` */
  meshId: string;
  /** Istio network of the primary (`global.network`, the istio-system label, its east-west gateway's `networkGateway`) */
  primaryNetwork: string;
  /** Istio network of the burst cluster (the istio-system label, the injection path, its east-west gateway); = primaryNetwork on one network */
  burstNetwork: string;
  /** the networks differ: an east-west gateway in each cluster and the cross-network Gateway (15443, AUTO_PASSTHROUGH) */
  multiNetwork: boolean;
  /** Istio cluster name (`global.multiCluster.clusterName`) of the primary cluster */
  primaryClusterName: string;
  /** Istio cluster name of the burst (remote) cluster */
  burstClusterName: string;
  /** the east-west gateways' load balancers: `internal` (VPC-only, GKE's; default on one network) or `public` (default on two) */
  eastWestExposure: EastWestExposure;
  /** CIDRs allowed to reach the east-west gateways' load balancers (`service.loadBalancerSourceRanges`); required when public, empty only when internal */
  eastWestSourceRanges: string[];
  /** the address an operator reserved for an existing primary's east-west load balancer (`eastWestAddress`, with `primaryKubeconfig` only); a GKE primary's is reserved by the stack */
  eastWestAddress?: string;
  /** prometheus-community `prometheus` chart version */
  prometheusChartVersion: string;
  /** where the prometheus chart comes from (`prometheusChartRepo`) */
  prometheusCharts: ChartSource;
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
  /** worker replicas in primary (no prefix); the burst pool starts at the watcher's `burstMinReplicas` and the watcher owns its size */
  primaryWorkerReplicas: number;
  /** worker `HASH_ROUNDS` (CPU cost per request) */
  workerHashRounds: number;
  /** pin the burst workers to the burst worker node pool (its label and taint); on where the stack made that pool */
  burstWorkerPool: boolean;
  /** the Redis password (`redisPassword`, a secret); absent: generated by `@pulumi/random` */
  redisPassword?: pulumi.Output<string>;
  /** prebuilt image refs; an absent one is built from this repository and pushed to Artifact Registry */
  images: { frontend?: string; worker?: string; watcher?: string };
  /** watcher replicas in primary: one leads (a Lease), the others stand by; 1: no election */
  watcherReplicas: number;
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
  releaseChannel: "REGULAR" as ReleaseChannel,
  gkeMinVersion: "1.34",
  primaryNodeCount: 4,
  primaryMachineType: "e2-standard-2",
  burstMinNodes: 0,
  burstMaxNodes: 5,
  burstMachineType: "e2-standard-2",
  burstSystemMachineType: "e2-medium",
  diskSizeGb: 50,
  burstSpot: false,
  imagePlatform: "linux/amd64",
  /**
   * The newest 1.31 patch (tagged 2026-10-21), from Istio's chart repository. 1.30 leaves Istio's support
   * six weeks after 1.32.0 (2026-10-21). The fast tests render the 1.31.0 charts of the fixtures
   * (tests/helpers/pinned-charts.ts RENDERED_ISTIO): same minor, and a patch release changes no value key.
   */
  istioVersion: "1.31.4",
  istioChartRepo: "https://istio-release.storage.googleapis.com/charts",
  prometheusChartRepo: "https://prometheus-community.github.io/helm-charts",
  meshId: "mesh1",
  meshNetwork: "network1",
  /** `burstNetwork` with `primaryKubeconfig` or `burstKubeconfig`; without them, `burstNetwork` defaults to `meshNetwork` (one network) */
  ownClusterBurstNetwork: "network2",
  prometheusChartVersion: "27.37.0",
  appNamespace: DEFAULT_NAMESPACE,
  frontendReplicas: 1,
  primaryWorkerReplicas: 2,
  workerHashRounds: 1,
  watcherReplicas: 2,
} as const;

/** The types a key can be declared with in Pulumi.yaml (the engine refuses a value of another type). */
export type ConfigKeyType = "string" | "integer" | "boolean";

/**
 * A key of the stack outside the watcher's settings table, as Pulumi.yaml declares it. A key without
 * a fixed default (one that follows from other keys, or is absent unless set) is declared as text
 * with the empty default: the engine requires a value for every declared key that has no default,
 * and the stack reads an empty value as unset. The secrets (kubeconfigs, the Redis password) are such
 * keys; they are not declared `secret`, which the engine would then require in every stack.
 */
export interface StackKey {
  readonly key: string;
  readonly type: ConfigKeyType;
  /** one line; the README's row for the key starts with it */
  readonly description: string;
  /** the DEFAULTS entry of a fixed default; none where the default follows from other keys */
  readonly fixedDefault?: keyof typeof DEFAULTS;
}

/** Every key of the stack that is not a watcher setting, in the README's order. */
export const STACK_KEYS: readonly StackKey[] = [
  { key: "project", type: "string", description: "Google Cloud project id" },
  { key: "primaryKubeconfig", type: "string", description: "secret (`pulumi config set --secret`): kubeconfig of an existing cluster to use as the primary instead of creating one on GKE" },
  { key: "burstKubeconfig", type: "string", description: "secret: kubeconfig of an existing cluster to burst into instead of creating one on GKE" },
  { key: "zone", type: "string", fixedDefault: "zone", description: "zone of the GKE clusters" },
  { key: "releaseChannel", type: "string", fixedDefault: "releaseChannel", description: "GKE release channel: `RAPID`, `REGULAR` or `STABLE`" },
  { key: "gkeMinVersion", type: "string", fixedDefault: "gkeMinVersion", description: "minimum control-plane version of the GKE clusters (`minMasterVersion`)" },
  { key: "diskSizeGb", type: "integer", fixedDefault: "diskSizeGb", description: "boot disk per node, GB (10..65536), GKE clusters" },
  { key: "primaryNodeCount", type: "integer", fixedDefault: "primaryNodeCount", description: "nodes of the GKE primary cluster (fixed size, >= 1)" },
  { key: "primaryMachineType", type: "string", fixedDefault: "primaryMachineType", description: "machine type of the GKE primary's nodes" },
  { key: "burstMinNodes", type: "integer", fixedDefault: "burstMinNodes", description: "lower bound of the burst cluster's worker node pool autoscaler (>= 0)" },
  { key: "burstMaxNodes", type: "integer", fixedDefault: "burstMaxNodes", description: "upper bound of the burst worker node pool autoscaler (>= `burstMinNodes`, >= 1)" },
  { key: "burstMachineType", type: "string", fixedDefault: "burstMachineType", description: "machine type of the burst worker nodes" },
  { key: "burstSpot", type: "boolean", fixedDefault: "burstSpot", description: "Spot VMs for the burst worker pool" },
  { key: "burstSystemMachineType", type: "string", fixedDefault: "burstSystemMachineType", description: "machine type of the burst cluster's always-on system pool" },
  { key: "burstWorkerPool", type: "string", description: "the burst workers select the node label `istio-burst/pool=burst-workers` and tolerate the taint of the same name" },
  { key: "imagePlatform", type: "string", fixedDefault: "imagePlatform", description: "platform the images are built for" },
  { key: "frontendImage", type: "string", description: "prebuilt frontend image ref" },
  { key: "workerImage", type: "string", description: "prebuilt worker image ref" },
  { key: "watcherImage", type: "string", description: "prebuilt watcher image ref" },
  { key: "istioVersion", type: "string", fixedDefault: "istioVersion", description: "pinned Istio release = version of the `base`, `istiod` and `gateway` charts" },
  { key: "istioChartRepo", type: "string", fixedDefault: "istioChartRepo", description: "where the Istio charts come from" },
  { key: "meshId", type: "string", fixedDefault: "meshId", description: "`global.meshID`" },
  { key: "meshNetwork", type: "string", fixedDefault: "meshNetwork", description: "Istio network of the primary" },
  { key: "burstNetwork", type: "string", description: "Istio network of the burst cluster" },
  { key: "eastWestExposure", type: "string", description: "the east-west gateways' load balancers: `internal` (VPC-only, GKE's) or `public`" },
  { key: "eastWestSourceRanges", type: "string", description: "CIDRs allowed to reach the east-west gateways' load balancers (`loadBalancerSourceRanges`)" },
  { key: "eastWestAddress", type: "string", description: "with `primaryKubeconfig` only: an IPv4 or IPv6 address you reserved for the primary's east-west load balancer" },
  { key: "prometheusChartVersion", type: "string", fixedDefault: "prometheusChartVersion", description: "prometheus-community `prometheus` chart version" },
  { key: "prometheusChartRepo", type: "string", fixedDefault: "prometheusChartRepo", description: "where the `prometheus` chart comes from" },
  { key: "appNamespace", type: "string", fixedDefault: "appNamespace", description: "namespace of frontend, workers, Redis and watcher in both clusters" },
  { key: "frontendReplicas", type: "integer", fixedDefault: "frontendReplicas", description: "frontend replicas (primary): 0 or 1" },
  { key: "primaryWorkerReplicas", type: "integer", fixedDefault: "primaryWorkerReplicas", description: "worker replicas in primary (no prefix)" },
  { key: "workerHashRounds", type: "integer", fixedDefault: "workerHashRounds", description: "worker `HASH_ROUNDS`: sha256 rounds per request" },
  { key: "watcherReplicas", type: "integer", fixedDefault: "watcherReplicas", description: "watcher replicas (primary), 1 to 5: with more than one, one leads on a Lease and the others stand by to take over" },
  { key: "redisPassword", type: "string", description: "secret: the Redis password (16 to 128 letters and digits)" },
];

/** One key as Pulumi.yaml's `config:` block declares it. */
export interface ProjectConfigEntry {
  type: ConfigKeyType;
  description: string;
  /** the fixed default, or "" (unset) where it follows from other keys */
  default: string | number | boolean;
}

/** The engine's type of a watcher setting: integers and booleans as such, everything else as text. */
function settingType(spec: SettingSpec): ConfigKeyType {
  return spec.kind === "integer" || spec.kind === "boolean" ? spec.kind : "string";
}

/** A setting's own default as Pulumi.yaml writes it; "" (unset) for a derived one (or one the watcher derives). */
function settingDefault(spec: SettingSpec): string | number | boolean {
  if (typeof spec.default === "function" || spec.default === undefined) return "";
  const type = settingType(spec);
  return type === "string" ? spec.defaultText : (spec.default as number | boolean);
}

/**
 * Pulumi.yaml's `config:` block for the stack's own keys (the project namespace): every key of
 * STACK_KEYS and of the watcher's settings table with its type, its description and its default: the
 * fixed one, or "" where it follows from other keys (see StackKey). Pulumi.yaml holds exactly this
 * (tests/config keeps them equal).
 */
export function projectConfigBlock(): Record<string, ProjectConfigEntry> {
  const block: Record<string, ProjectConfigEntry> = {};
  for (const k of STACK_KEYS) block[k.key] = { type: k.type, description: k.description, default: k.fixedDefault === undefined ? "" : DEFAULTS[k.fixedDefault] };
  for (const spec of WATCHER_SETTINGS) block[spec.key] = { type: settingType(spec), description: spec.doc, default: settingDefault(spec) };
  return block;
}

/** Keys the stack no longer reads, and what to use instead; setting one fails the preview. */
export const REMOVED_KEYS: readonly (readonly [key: string, instead: string])[] = [
  [
    "burstWorkerReplicas",
    `the watcher owns the burst worker replicas; the pool starts at ${CONFIG_NAMESPACE}:burstMinReplicas (idle size) and the watcher scales it up to ${CONFIG_NAMESPACE}:burstReplicas (switch mode) or as the excess needs, at most ${CONFIG_NAMESPACE}:burstMaxReplicas`,
  ],
  [
    "network",
    `the GKE clusters now run on the stack's own VPC network (one subnet per cluster, fixed ranges), not on an existing one; remove the key (pulumi config rm ${CONFIG_NAMESPACE}:network): the next pulumi up replaces both GKE clusters, and everything in them, on that network (README: "Move an existing stack onto its own network")`,
  ],
  [
    "eastWestInternal",
    `replaced by ${CONFIG_NAMESPACE}:eastWestExposure: internal (was true) or public (was false, with ${CONFIG_NAMESPACE}:eastWestSourceRanges); pulumi config rm ${CONFIG_NAMESPACE}:eastWestInternal, then set ${CONFIG_NAMESPACE}:eastWestExposure if the default does not suit`,
  ],
];

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

  /** A number (an integer with `integer`) within `bounds`, described as the settings table describes its own. */
  number(name: string, def: number, opts: Bounds & { integer?: boolean } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = Number(raw);
    if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || !inBounds(opts, v)) {
      this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be ${numberRequirement(opts.integer ? "integer" : "number", opts)}`);
      return def;
    }
    return v;
  }

  /**
   * A secret: its value as a Pulumi secret (`getSecret`), and its text for validation only (never put
   * it in a message). An Output cannot be read synchronously, so the text is read a second time here.
   */
  secret(name: string): { value: pulumi.Output<string>; text: string } | undefined {
    const value = this.cfg.getSecret(name);
    const text = this.cfg.get(name) ?? "";
    return value === undefined || text.trim() === "" ? undefined : { value, text };
  }

  /** CIDR ranges, as a YAML/JSON list or comma-separated; undefined when unset (or an empty list) */
  cidrs(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let items: unknown;
    try {
      items = raw.startsWith("[") ? JSON.parse(raw) : raw.split(/[\s,]+/).filter((x) => x !== "");
    } catch {
      items = undefined;
    }
    const ranges = Array.isArray(items) ? items.map((x) => (typeof x === "string" ? x.trim() : x)) : undefined;
    const bad = ranges === undefined ? [raw] : ranges.filter((x) => typeof x !== "string" || !isCidr(x));
    if (bad.length > 0) {
      this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be CIDR ranges like 203.0.113.0/24, as a list or comma-separated; not ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
      return [];
    }
    return ranges!.length === 0 ? undefined : [...new Set(ranges as string[])];
  }

  boolean(name: string, def: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = parseBoolean(raw);
    if (v === undefined) this.problem(`${this.key(name)} (${JSON.stringify(raw)}) must be true or false`);
    return v ?? def;
  }
}

const ZONE_RE = /^[a-z]+-[a-z]+\d+-[a-z]$/;
/** a GKE version: `1.<minor>`, optionally `.<patch>` and `-gke.<build>` */
const GKE_VERSION_RE = /^1\.(\d+)(\.\d+(-gke\.\d+)?)?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MACHINE_TYPE_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
/** an image reference: no whitespace, a repository path, optional tag and/or digest */
const IMAGE_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** An IPv4 or IPv6 CIDR range, e.g. `203.0.113.0/24` or `2001:db8::/32`. */
export function isCidr(s: string): boolean {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const family = isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

/** Fields of a kubeconfig that name files on the machine that wrote it. */
const KUBECONFIG_FILE_FIELDS = { cluster: ["certificate-authority"], user: ["client-certificate", "client-key", "tokenFile"] } as const;

/**
 * What the stack needs from a kubeconfig, or why it is not one: YAML (or JSON) with non-empty
 * `clusters`, `contexts` and `users`, a `current-context` naming a context whose cluster (with an
 * https `server`) and user exist, and no file references in those two (the kubeconfig is stored in the
 * stack's config and used wherever Pulumi runs). The reason never quotes the kubeconfig's content
 * beyond entry names.
 */
export function inspectKubeconfig(
  text: string,
): { ok: true; context: string; cluster: string; server: string; caData: string } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason });
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    // js-yaml's message quotes the offending lines: only the reason and the position are kept.
    const err = e as { reason?: string; mark?: { line?: number } };
    return fail(`it is not YAML (${err.reason ?? "parse error"}${err.mark?.line !== undefined ? ` at line ${err.mark.line + 1}` : ""})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return fail("it is not a YAML map");
  const config = doc as Record<string, unknown>;
  const entries = (field: "clusters" | "contexts" | "users", inner: "cluster" | "context" | "user") => {
    const list = config[field];
    if (!Array.isArray(list) || list.length === 0) return undefined;
    const byName = new Map<string, Record<string, unknown>>();
    for (const e of list) {
      const entry = e as { name?: unknown; [k: string]: unknown } | null;
      if (typeof entry?.name !== "string" || typeof entry[inner] !== "object" || entry[inner] === null) return undefined;
      byName.set(entry.name, entry[inner] as Record<string, unknown>);
    }
    return byName;
  };
  const clusters = entries("clusters", "cluster");
  const contexts = entries("contexts", "context");
  const users = entries("users", "user");
  for (const [field, inner, found] of [["clusters", "cluster", clusters], ["contexts", "context", contexts], ["users", "user", users]] as const)
    if (!found) return fail(`\`${field}\` must be a non-empty list of entries with a \`name\` and a \`${inner}\``);
  const current = config["current-context"];
  if (typeof current !== "string" || current === "") return fail("it has no `current-context`");
  const context = contexts!.get(current);
  if (!context) return fail(`its current-context ${JSON.stringify(current)} is not in \`contexts\``);
  const [clusterName, userName] = [context["cluster"], context["user"]];
  const cluster = typeof clusterName === "string" ? clusters!.get(clusterName) : undefined;
  if (!cluster) return fail(`context ${JSON.stringify(current)} names cluster ${JSON.stringify(clusterName)}, which is not in \`clusters\``);
  const user = typeof userName === "string" ? users!.get(userName) : undefined;
  if (!user) return fail(`context ${JSON.stringify(current)} names user ${JSON.stringify(userName)}, which is not in \`users\``);
  const server = cluster["server"];
  if (typeof server !== "string" || !/^https:\/\/[^\s/]+/.test(server)) return fail(`cluster ${JSON.stringify(clusterName)} has no https:// \`server\``);
  const files = [
    ...KUBECONFIG_FILE_FIELDS.cluster.filter((f) => cluster[f] !== undefined).map((f) => `${f} of cluster ${JSON.stringify(clusterName)}`),
    ...KUBECONFIG_FILE_FIELDS.user.filter((f) => user[f] !== undefined).map((f) => `${f} of user ${JSON.stringify(userName)}`),
  ];
  if (files.length > 0)
    return fail(`it refers to files (${files.join(", ")}) that exist only where it was written; embed them: kubectl config view --minify --flatten`);
  const caData = cluster["certificate-authority-data"];
  return { ok: true, context: current, cluster: clusterName as string, server, caData: typeof caData === "string" ? caData : "" };
}

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

/** The two clusters as the config gives them: an existing one from its kubeconfig, else a GKE one. */
interface Clusters {
  existingPrimary?: ExistingClusterConfig;
  existingBurst?: ExistingClusterConfig;
}

/** A cluster given by kubeconfig (`primaryKubeconfig`, `burstKubeconfig`), validated; undefined when unset. */
function readExistingCluster(r: Reader, key: string): ExistingClusterConfig | undefined {
  const given = r.secret(key);
  if (!given) return undefined;
  const found = inspectKubeconfig(given.text);
  if (found.ok) return { kubeconfig: given.value, context: found.context, cluster: found.cluster, server: found.server, caData: found.caData };
  r.problem(`${r.key(key)} is not a usable kubeconfig: ${found.reason}`);
  // still an existing cluster: the other keys are checked as they would be with a good one
  return { kubeconfig: given.value, context: "", cluster: "", server: "", caData: "" };
}

/** Google Cloud's keys, read only when the stack creates a GKE cluster. */
function readGcp(r: Reader, gcpCfg: pulumi.Config): GcpConfig {
  const project = r.string("project") ?? gcpCfg.get("project") ?? "";
  if (project === "") r.problem(`${r.key("project")} is required (or set gcp:project): the Google Cloud project id`);
  else if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(project))
    r.problem(`${r.key("project")} (${JSON.stringify(project)}) must be a Google Cloud project id (6-30 lowercase letters, digits, hyphens)`);
  const zone = r.matching("zone", DEFAULTS.zone, ZONE_RE, "a Compute Engine zone like us-west1-a");
  return {
    project,
    zone,
    region: zone.replace(/-[a-z]$/, ""),
    releaseChannel: r.oneOf("releaseChannel", DEFAULTS.releaseChannel, RELEASE_CHANNELS),
    gkeMinVersion: readGkeMinVersion(r),
  };
}

/** The GKE clusters' minimum version: `1.34` or `1.34.1-gke.1234000`, 1.32 (GKE_OLDEST_MINOR) or newer. */
function readGkeMinVersion(r: Reader): string {
  const version = r.string("gkeMinVersion", DEFAULTS.gkeMinVersion);
  const minor = GKE_VERSION_RE.exec(version)?.[1];
  if (minor === undefined)
    r.problem(`${r.key("gkeMinVersion")} (${JSON.stringify(version)}) must be a GKE version like 1.34 or 1.34.1-gke.1234000 (not a range, "latest" or "-")`);
  else if (Number(minor) < GKE_OLDEST_MINOR)
    r.problem(`${r.key("gkeMinVersion")} (${JSON.stringify(version)}) must be 1.${GKE_OLDEST_MINOR} or newer: the pinned Istio release does not support older Kubernetes`);
  return version;
}

/** The GKE clusters' sizes and shapes (read whatever the shape, so that a bad value never waits for a later run). */
function readInfra(r: Reader, gcpCfg: pulumi.Config, clusters: Clusters): InfraConfig {
  const diskSizeGb = r.number("diskSizeGb", DEFAULTS.diskSizeGb, { integer: true, min: 10, max: 65536 });
  const machineType = (name: string, def: string) => r.matching(name, def, MACHINE_TYPE_RE, "a machine type like e2-standard-2");
  const primaryNodeCount = r.number("primaryNodeCount", DEFAULTS.primaryNodeCount, { integer: true, min: 1, max: 1000 });
  const primaryMachineType = machineType("primaryMachineType", DEFAULTS.primaryMachineType);
  const burstMinNodes = r.number("burstMinNodes", DEFAULTS.burstMinNodes, { integer: true, min: 0, max: 1000 });
  const burstMaxNodes = r.number("burstMaxNodes", DEFAULTS.burstMaxNodes, { integer: true, min: 1, max: 1000 });
  if (burstMaxNodes < burstMinNodes)
    r.problem(`${r.key("burstMaxNodes")} (${burstMaxNodes}) must be at least ${r.key("burstMinNodes")} (${burstMinNodes})`);
  const burstMachineType = machineType("burstMachineType", DEFAULTS.burstMachineType);
  const burstSystemMachineType = machineType("burstSystemMachineType", DEFAULTS.burstSystemMachineType);
  const burstSpot = r.boolean("burstSpot", DEFAULTS.burstSpot);
  const imagePlatform = r.matching("imagePlatform", DEFAULTS.imagePlatform, /^linux\/(amd64|arm64)$/, "linux/amd64 or linux/arm64");
  const usesGke = !clusters.existingPrimary || !clusters.existingBurst;
  return {
    gcp: usesGke ? readGcp(r, gcpCfg) : undefined,
    primary: { machineType: primaryMachineType, diskSizeGb, nodeCount: primaryNodeCount, spot: false },
    burst: {
      // The worker pool: tainted, autoscaled from burstMinNodes (default 0, so an idle burst
      // cluster has no worker node); the autoscaler adds a node when a burst worker is pending.
      machineType: burstMachineType,
      diskSizeGb,
      nodeCount: burstMinNodes,
      autoscaling: { minNodes: burstMinNodes, maxNodes: burstMaxNodes },
      spot: burstSpot,
      // GKE's system pods (and Istio's gateway on two networks) run on one small always-on node.
      system: { machineType: burstSystemMachineType, nodeCount: 1 },
    },
    ...clusters,
    imagePlatform,
  };
}

/** The Istio networks: one for a GKE pair unless burstNetwork says otherwise; two with a cluster from outside the VPC. */
function readNetworks(r: Reader, clusters: Clusters) {
  const ownKey = clusters.existingPrimary ? "primaryKubeconfig" : clusters.existingBurst ? "burstKubeconfig" : undefined;
  const dnsLabel = "a DNS label (lowercase letters, digits, hyphens)";
  const primaryNetwork = r.matching("meshNetwork", DEFAULTS.meshNetwork, DNS_LABEL_RE, dnsLabel);
  const burstNetwork = r.matching("burstNetwork", ownKey ? DEFAULTS.ownClusterBurstNetwork : primaryNetwork, DNS_LABEL_RE, dnsLabel);
  const multiNetwork = burstNetwork !== primaryNetwork;
  if (ownKey && !multiNetwork)
    r.problem(
      `${r.key("burstNetwork")} (${JSON.stringify(burstNetwork)}) must differ from ${r.key("meshNetwork")} (${JSON.stringify(primaryNetwork)}) with ${r.key(ownKey)}: a cluster from outside the stack's VPC cannot reach the other cluster's pods directly, so the clusters are two Istio networks`,
    );
  const networksText = `${r.key("meshNetwork")} ${JSON.stringify(primaryNetwork)}, ${r.key("burstNetwork")} ${JSON.stringify(burstNetwork)}`;
  return { primaryNetwork, burstNetwork, multiNetwork, ...readEastWest(r, clusters, ownKey, multiNetwork ? networksText : undefined) };
}

/**
 * How the east-west gateways are exposed: `internal` (VPC-only) load balancers on one network, `public`
 * ones on two; public ones only to `eastWestSourceRanges`. `eastWestAddress`: an existing primary's reserved one.
 * @param twoNetworks the two networks, named for a message; undefined on one network
 */
function readEastWest(r: Reader, clusters: Clusters, ownKey: string | undefined, twoNetworks: string | undefined) {
  const exposure = r.oneOf("eastWestExposure", twoNetworks === undefined ? "internal" : "public", EAST_WEST_EXPOSURES);
  if (ownKey && exposure === "internal")
    r.problem(
      `${r.key("eastWestExposure")} ("internal") cannot be used with ${r.key(ownKey)}: the clusters reach each other's east-west gateway from outside one VPC, and the internal load-balancer annotation is GKE's; use "public" and restrict the gateways with ${r.key("eastWestSourceRanges")}`,
    );
  const ranges = r.cidrs("eastWestSourceRanges");
  const needs = "the CIDRs allowed to reach them (each cluster's egress addresses); write 0.0.0.0/0 to open them to everyone";
  if (exposure === "public" && ranges === undefined)
    r.problem(
      twoNetworks !== undefined
        ? `${r.key("eastWestSourceRanges")} is required on two networks (${twoNetworks}) with public east-west gateways: ${needs}`
        : `${r.key("eastWestSourceRanges")} is required with public east-west gateways (${r.key("eastWestExposure")} "public"): ${needs}`,
    );
  const address = r.string("eastWestAddress");
  if (address !== undefined && isIP(address) === 0)
    r.problem(`${r.key("eastWestAddress")} (${JSON.stringify(address)}) must be an IPv4 or IPv6 address: the one reserved for the primary's east-west load balancer`);
  else if (address !== undefined && !clusters.existingPrimary)
    r.problem(`${r.key("eastWestAddress")} is read only with ${r.key("primaryKubeconfig")}: for a GKE primary the stack reserves the east-west gateway's address itself`);
  return { eastWestExposure: exposure, eastWestSourceRanges: ranges ?? [], eastWestAddress: address };
}

/**
 * A chart setting (`istioChartRepo`, `prometheusChartRepo`): a repository, a registry or a folder of
 * `charts` at `version`, the value of `versionKey`. A folder holds one release: when it holds another,
 * the message names both keys (the usual slip of an upgrade: the version set, the folder not moved).
 */
function readChartSource(r: Reader, key: string, def: string, charts: readonly string[], versionKey: string, version: string): ChartSource {
  const text = r.string(key, def);
  const found = parseChartSource(text, charts, version);
  if (found.ok) return found.source;
  const fix = found.folderVersion === undefined ? "" : `; a folder holds one release: point ${r.key(key)} at a folder of ${version}'s charts, or set ${r.key(versionKey)} to ${found.folderVersion}`;
  r.problem(`${r.key(key)} (${JSON.stringify(text)}): ${found.reason}${fix}`);
  return { kind: "repository", url: def };
}

/** Istio and Prometheus: versions, where their charts come from, the mesh's networks and names. */
function readIstio(r: Reader, clusters: Clusters, scrapeMs: number): IstioConfig {
  const version = r.matching("istioVersion", DEFAULTS.istioVersion, PINNED_VERSION_RE, "a pinned Istio release like 1.31.4 (not a range or \"latest\")");
  const prometheusChartVersion = r.matching("prometheusChartVersion", DEFAULTS.prometheusChartVersion, PINNED_VERSION_RE, "a pinned chart version like 27.37.0");
  return {
    version,
    charts: readChartSource(r, "istioChartRepo", DEFAULTS.istioChartRepo, ISTIO_CHARTS, "istioVersion", version),
    meshId: r.matching("meshId", DEFAULTS.meshId, DNS_LABEL_RE, "a DNS label (lowercase letters, digits, hyphens)"),
    ...readNetworks(r, clusters),
    primaryClusterName: ISTIO_CLUSTERS.primary,
    burstClusterName: ISTIO_CLUSTERS.burst,
    prometheusChartVersion,
    prometheusCharts: readChartSource(r, "prometheusChartRepo", DEFAULTS.prometheusChartRepo, [PROMETHEUS_CHART], "prometheusChartVersion", prometheusChartVersion),
    // Prometheus scrapes at the watcher's scrapeInterval: the watcher's default windows follow it.
    prometheusScrapeInterval: formatDuration(scrapeMs),
    prometheusScrapeTimeout: formatDuration(Math.min(scrapeMs, 10_000)),
  };
}

/** The app: namespace, sizes, images (required for a cluster the stack does not create), placement. */
function readApps(r: Reader, clusters: Clusters): AppsConfig {
  const namespace = r.matching("appNamespace", DEFAULTS.appNamespace, DNS_LABEL_RE, "a Kubernetes namespace name (DNS label)");
  if (namespace.startsWith("kube-") || namespace === "istio-system" || namespace === "istio-ingress")
    r.problem(`${r.key("appNamespace")} (${JSON.stringify(namespace)}) must not be a system namespace`);
  const image = (name: string): string | undefined => {
    const v = r.string(name);
    if (v !== undefined && !IMAGE_RE.test(v))
      r.problem(`${r.key(name)} (${JSON.stringify(v)}) must be an image reference like us-west1-docker.pkg.dev/proj/repo/name:tag`);
    return v;
  };
  const images = { frontend: image("frontendImage"), worker: image("workerImage"), watcher: image("watcherImage") };
  // Only GKE nodes of this project may pull from the stack's Artifact Registry repository.
  const ownKey = clusters.existingPrimary ? "primaryKubeconfig" : clusters.existingBurst ? "burstKubeconfig" : undefined;
  if (ownKey)
    for (const [key, ref] of [["frontendImage", images.frontend], ["workerImage", images.worker], ["watcherImage", images.watcher]] as const)
      if (ref === undefined)
        r.problem(`${r.key(key)} is required with ${r.key(ownKey)}: a cluster the stack does not create cannot pull from the stack's Artifact Registry repository; give an image ref both clusters can pull`);
  return {
    namespace,
    // One frontend at most: the request rate and the socket.io sessions live in one process.
    frontendReplicas: r.number("frontendReplicas", DEFAULTS.frontendReplicas, { integer: true, min: 0, max: 1 }),
    primaryWorkerReplicas: r.number("primaryWorkerReplicas", DEFAULTS.primaryWorkerReplicas, { integer: true, min: 0, max: 100 }),
    workerHashRounds: r.number("workerHashRounds", DEFAULTS.workerHashRounds, { integer: true, min: 1, max: 1_000_000 }),
    watcherReplicas: r.number("watcherReplicas", DEFAULTS.watcherReplicas, { integer: true, min: 1, max: 5 }),
    images,
    // The pool's label and taint exist where the stack made the pool; another cluster's owner names its own.
    burstWorkerPool: r.boolean("burstWorkerPool", clusters.existingBurst === undefined),
    redisPassword: readRedisPassword(r),
  };
}

/** A password given for Redis: letters and digits (it goes into a URL unescaped), at least 16 of them. */
function readRedisPassword(r: Reader): pulumi.Output<string> | undefined {
  const given = r.secret("redisPassword");
  if (given && !/^[A-Za-z0-9]{16,128}$/.test(given.text.trim()))
    r.problem(`${r.key("redisPassword")} must be 16 to 128 letters and digits (it is not shown here: it is a secret)`);
  return given?.value.apply((v) => v.trim());
}

/** A key that is gone must not be silently ignored (looked up without reading it as a key of the stack). */
function checkRemovedKeys(r: Reader): void {
  for (const [gone, instead] of REMOVED_KEYS)
    if (pulumi.runtime.getConfig(r.key(gone)) !== undefined) r.problem(`${r.key(gone)} is no longer read: ${instead}`);
}

/** Every key the stack reads: its own and the watcher's settings. */
const KNOWN_KEYS: readonly string[] = [...STACK_KEYS.map((k) => k.key), ...WATCHER_SETTINGS.map((s) => s.key)];

/** Edit distance of two keys, case-blind (a misspelling is a few letters off). */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length];
}

/**
 * A key of the stack's namespace that it does not read is a mistake the engine lets through (`pulumi
 * config set` takes any key): refused, with the nearest key when one is a few letters off.
 */
function checkUnknownKeys(r: Reader): void {
  const removed = new Set(REMOVED_KEYS.map(([k]) => k));
  for (const full of Object.keys(pulumi.runtime.allConfig())) {
    if (!full.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const key = full.slice(CONFIG_NAMESPACE.length + 1);
    if (KNOWN_KEYS.includes(key) || removed.has(key)) continue;
    const nearest = [...KNOWN_KEYS].sort((a, b) => distance(key, a) - distance(key, b))[0];
    const hint = distance(key, nearest) <= 3 ? `; did you mean ${r.key(nearest)}?` : "";
    r.problem(`${r.key(key)} is not a key of this stack${hint} (pulumi config rm ${r.key(key)}; README: Configuration lists every key)`);
  }
}

/**
 * Reads and validates every key of the stack.
 * @param cfg    the `istio-burst` namespace
 * @param gcpCfg the `gcp` namespace (only `gcp:project`, as the fallback of `istio-burst:project`)
 * @throws ConfigError listing every invalid key
 */
export function loadConfig(cfg: pulumi.Config, gcpCfg: pulumi.Config = new pulumi.Config("gcp")): StackConfig {
  const r = new Reader(cfg);
  const clusters: Clusters = { existingPrimary: readExistingCluster(r, "primaryKubeconfig"), existingBurst: readExistingCluster(r, "burstKubeconfig") };
  const infra = readInfra(r, gcpCfg, clusters);
  const watcher = readWatcherSettings(cfg, (spec) => r.key(spec.key));
  watcher.problems.forEach((p) => r.problem(p));
  const istio = readIstio(r, clusters, watcher.settings.scrapeInterval);
  const apps = readApps(r, clusters);
  checkRemovedKeys(r);
  checkUnknownKeys(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { infra, istio, apps, watcher: watcher.settings };
}

/** The stack's configuration, read once when the program starts. */
export const stackConfig: StackConfig = loadConfig(new pulumi.Config(CONFIG_NAMESPACE));
export const infraConfig: InfraConfig = stackConfig.infra;
export const istioConfig: IstioConfig = stackConfig.istio;
export const appsConfig: AppsConfig = stackConfig.apps;
export const watcherConfig: WatcherSettings = stackConfig.watcher;
