/**
 * The Pulumi test harness: mocks the engine (`pulumi.runtime.setMocks`), records every resource the
 * program registers with its inputs, provider and dependencies, gives the resources the cloud fills in (GKE endpoint,
 * CA and pod range, image digests, reserved and load-balancer addresses, the reader and scaler tokens, the Redis
 * password, the stack's own previous outputs) canned state, and resolves Outputs. Call `freshMocks` before constructing components, or
 * `runProgram` to run index.ts afresh (the program is imported after the mocks are set).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { dependenciesOf } from "./dependencies";
import { dropModuleExitHooks } from "./module-exit-hooks";

export interface RecordedResource {
  type: string;
  name: string;
  /** URN-less id handed back by the mock */
  id: string;
  inputs: Record<string, any>;
  /** the provider reference (`urn::id`) the resource was registered with, if any */
  provider?: string;
  custom: boolean;
  /** its `aliases` option as registered: the former type, name or parent of each alias */
  aliases: RecordedAlias[];
  /** its `ignoreChanges` option as registered */
  ignoreChanges: string[];
  /** its `deleteBeforeReplace` option as registered */
  deleteBeforeReplace: boolean;
}

export interface RecordedAlias {
  name?: string;
  type?: string;
  /** the alias names no parent (it was a top-level resource) */
  noParent?: boolean;
  /** a whole URN, when the alias was given as one */
  urn?: string;
}

/**
 * The resource options the mock engine is not handed (MockResourceArgs carries only type, name,
 * inputs and provider), read off each RegisterResource request by type and name.
 */
const registeredOptions = new Map<string, { aliases: RecordedAlias[]; ignoreChanges: string[]; deleteBeforeReplace: boolean }>();
/** Whether a resource of this type and name was registered (not only read). */
const registered = (type: string, name: string) => registeredOptions.has(`${type}::${name}`);
type RegisterRequest = {
  getType(): string;
  getName(): string;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getAliasesList(): { getUrn(): string; getSpec(): { getName(): string; getType(): string; getNoparent(): boolean } | undefined }[];
};
const mockMonitor = (require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: { registerResource(req: RegisterRequest, cb: unknown): unknown } } }).MockMonitor;
const registerResource = mockMonitor.prototype.registerResource;
mockMonitor.prototype.registerResource = function (this: unknown, req: RegisterRequest, callback: unknown) {
  const aliases = req.getAliasesList().map((a): RecordedAlias => {
    const spec = a.getSpec();
    if (!spec) return { urn: a.getUrn() };
    return { ...(spec.getName() ? { name: spec.getName() } : {}), ...(spec.getType() ? { type: spec.getType() } : {}), ...(spec.getNoparent() ? { noParent: true } : {}) };
  });
  registeredOptions.set(`${req.getType()}::${req.getName()}`, {
    aliases,
    ignoreChanges: req.getIgnorechangesList(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
  });
  return registerResource.call(this, req, callback);
};

export interface PulumiMocks {
  resources: RecordedResource[];
  /** all recorded resources of a type token, e.g. "kubernetes:apps/v1:Deployment" */
  ofType(type: string): RecordedResource[];
  /** the one resource with this type and logical name (throws when absent) */
  get(type: string, name: string): RecordedResource;
  /** every resource a resource depends on, directly or through the resources it depends on, as `type::name` */
  dependenciesOf(r: RecordedResource): Set<string>;
}

export type OutputsFor = (r: { type: string; name: string; inputs: Record<string, any> }) => Record<string, any> | undefined;

/** The project every test stack runs in unless told otherwise. */
export const TEST_PROJECT = "burst-demo-123";
/** Pod range of each GKE cluster: its subnet's `pods` range, as README's "The stack's network" documents it. */
export const POD_RANGES: Record<string, string> = { primary: "10.16.0.0/14", burst: "10.20.0.0/14" };
/**
 * The primary's east-west load balancer's address: the internal one the stack reserves in the GKE
 * primary's subnet, and what the Service reports where nothing is reserved (an existing primary).
 */
export const EAST_WEST_IP = "10.10.0.42";
/** The address the mock gives the stack's reserved east-west address: internal (in the primary's subnet) or external. */
export const RESERVED_EAST_WEST_IPS = { internal: EAST_WEST_IP, public: "34.168.20.9" } as const;
/** The burst cluster's east-west gateway (two networks only). */
export const BURST_EAST_WEST_IP = "35.233.40.7";
export const INGRESS_IP = "34.82.10.20";
export const READER_TOKEN = "reader-token-value";
/** The token of the watcher's scaler account in the burst cluster: it must never show up outside a secret. */
export const SCALER_TOKEN = "scaler-token-value-Zq81";
/** What the mocked RandomPassword "generates": it must never show up outside a Secret. */
export const TEST_PASSWORD = "MockedRedisPassw0rdZ9yX8wV7uT6sR5";

export const IMAGES = {
  frontend: "us-west1-docker.pkg.dev/p/istio-burst/frontend@sha256:aaaa",
  worker: "us-west1-docker.pkg.dev/p/istio-burst/worker@sha256:bbbb",
  watcher: "us-west1-docker.pkg.dev/p/istio-burst/watcher@sha256:cccc",
};

/** Base64 of a string (what the cloud/Kubernetes hand back in `data` and CA fields). */
export const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The credential inside OWN_PRIMARY_KUBECONFIG: it must never show up outside a secret. */
export const OWN_PRIMARY_TOKEN = "own-primary-admin-token-Q7w8E9r0";

/** A kubeconfig of an existing cluster (on-prem or any cloud) as `kubectl config view --minify --flatten` writes it. */
export const OWN_PRIMARY_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: onprem-1
  cluster:
    server: https://192.0.2.10:6443
    certificate-authority-data: ${b64("ca-of-onprem-1")}
contexts:
- name: onprem-1-admin
  context:
    cluster: onprem-1
    user: onprem-1-admin
current-context: onprem-1-admin
users:
- name: onprem-1-admin
  user:
    token: ${OWN_PRIMARY_TOKEN}
`;

/** The credential inside OWN_BURST_KUBECONFIG: it must never show up outside a secret. */
export const OWN_BURST_TOKEN = "own-burst-admin-token-K3j4L5m6";
/** The API server and CA of the existing burst cluster in OWN_BURST_KUBECONFIG. */
export const OWN_BURST_SERVER = "https://198.51.100.20:443";
export const OWN_BURST_CA = b64("ca-of-eks-burst");

/** A kubeconfig of an existing burst cluster (EKS, say), as `kubectl config view --minify --flatten` writes it. */
export const OWN_BURST_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: eks-burst
  cluster:
    server: ${OWN_BURST_SERVER}
    certificate-authority-data: ${OWN_BURST_CA}
contexts:
- name: eks-burst-admin
  context:
    cluster: eks-burst
    user: eks-burst-admin
current-context: eks-burst-admin
users:
- name: eks-burst-admin
  user:
    token: ${OWN_BURST_TOKEN}
`;

/** A Redis password an operator gives (`redisPassword`): it must never show up outside a secret. */
export const OWN_REDIS_PASSWORD = "OperatorsRedisPassw0rd4711";

/** Source ranges the two-network shapes configure for the public east-west gateways. */
export const EAST_WEST_SOURCE_RANGES = ["198.51.100.0/24", "203.0.113.64/26"];

/** Prebuilt images an existing primary can pull (the stack's Artifact Registry is GKE-only). */
export const PULLABLE_IMAGES = {
  frontend: "ghcr.io/example/istio-burst-frontend:1.0.0",
  worker: "ghcr.io/example/istio-burst-worker:1.0.0",
  watcher: "ghcr.io/example/istio-burst-watcher:1.0.0",
};

/** The keys every shape with a cluster the stack does not create needs: two networks' ranges, pullable images. */
const OWN_CLUSTER_KEYS = {
  eastWestSourceRanges: EAST_WEST_SOURCE_RANGES.join(","),
  frontendImage: PULLABLE_IMAGES.frontend,
  workerImage: PULLABLE_IMAGES.worker,
  watcherImage: PULLABLE_IMAGES.watcher,
};

/**
 * The shapes of the stack, as config: two GKE clusters on one network (no keys: the default); two
 * GKE clusters as two Istio networks; an existing primary (`primaryKubeconfig`) and the GKE burst
 * cluster; the GKE primary and an existing burst cluster (`burstKubeconfig`); and both existing with the
 * Redis password given: no Google Cloud at all, and no provider but Kubernetes. Those with an existing cluster are two networks by default.
 */
export const SHAPES: Record<"gkeOneNetwork" | "gkeTwoNetworks" | "ownPrimary" | "ownBurst" | "ownClusters", Record<string, string>> = {
  gkeOneNetwork: {},
  gkeTwoNetworks: { burstNetwork: "network2", eastWestSourceRanges: JSON.stringify(EAST_WEST_SOURCE_RANGES) },
  ownPrimary: { primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, ...OWN_CLUSTER_KEYS },
  ownBurst: { burstKubeconfig: OWN_BURST_KUBECONFIG, ...OWN_CLUSTER_KEYS },
  ownClusters: { primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, burstKubeconfig: OWN_BURST_KUBECONFIG, redisPassword: OWN_REDIS_PASSWORD, ...OWN_CLUSTER_KEYS },
};

/** The organization the mocked engine names (the local backend's). */
export const TEST_ORGANIZATION = "organization";

/** An answer for the stack's StackReference to itself: the outputs its previous update left (none: a first update). */
export function previousOutputs(outputs: Record<string, unknown>, extra: OutputsFor = () => undefined): OutputsFor {
  return gkeOutputs((r) => (r.type === "pulumi:pulumi:StackReference" ? { outputs } : extra(r)));
}

/** Canned outputs for the resources of this stack; `extra` wins. */
export function gkeOutputs(extra: OutputsFor = () => undefined): OutputsFor {
  return (r) => {
    const more = extra(r);
    if (more) return more;
    switch (r.type) {
      case "pulumi:pulumi:StackReference":
        // a stack before its first update has no outputs
        return { outputs: {} };
      case "gcp:compute/address:Address":
        return { address: r.inputs.address ?? RESERVED_EAST_WEST_IPS[r.inputs.addressType === "INTERNAL" ? "internal" : "public"] };
      case "gcp:container/cluster:Cluster": {
        const logical = r.name.replace(/-cluster$/, "");
        return {
          endpoint: `203.0.113.${logical === "primary" ? 1 : 2}`,
          masterAuth: { clusterCaCertificate: b64(`ca-of-${logical}`) },
          ipAllocationPolicy: { ...(r.inputs.ipAllocationPolicy ?? {}), clusterIpv4CidrBlock: POD_RANGES[logical] ?? "10.99.0.0/14" },
          location: r.inputs.location,
          name: r.inputs.name,
        };
      }
      case "kubernetes:helm.sh/v3:Release":
        return { status: { name: r.inputs.name, namespace: r.inputs.namespace, status: "deployed", version: r.inputs.version } };
      case "gcp:serviceaccount/account:Account":
        return { email: `${r.inputs.accountId}@${r.inputs.project}.iam.gserviceaccount.com` };
      case "random:index/randomString:RandomString":
        return { result: "a1b2c3" };
      case "random:index/randomPassword:RandomPassword":
        return { result: TEST_PASSWORD };
      case "docker-build:index:Image":
        return { ref: `${r.inputs.tags?.[0] ?? "img"}@sha256:${"0".repeat(64)}`, digest: `sha256:${"0".repeat(64)}` };
      case "kubernetes:core/v1:Service":
        if (r.name.startsWith("burst-eastwest")) return { status: { loadBalancer: { ingress: [{ ip: BURST_EAST_WEST_IP }] } } };
        if (r.name.includes("eastwest")) return { status: { loadBalancer: { ingress: [{ ip: EAST_WEST_IP }] } } };
        if (r.name.includes("ingress")) return { status: { loadBalancer: { ingress: [{ ip: INGRESS_IP }] } } };
        return undefined;
      case "kubernetes:core/v1:Secret":
        if (r.name.includes("reader-token"))
          return {
            metadata: { name: "istio-reader-service-account-token", namespace: "istio-system" },
            data: { token: b64(READER_TOKEN), "ca.crt": b64("ca-of-burst") },
          };
        if (r.name.includes("scaler-token"))
          return {
            metadata: { name: "istio-watcher-scaler-token", namespace: "default" },
            data: { token: b64(SCALER_TOKEN), "ca.crt": b64("ca-of-burst") },
          };
        return undefined;
      default:
        return undefined;
    }
  };
}

/** The mocks of the last freshMocks call (settleAll waits for them). */
let current: PulumiMocks | undefined;

/**
 * Mocks with a clean config store (the runtime's store is process-global, so keys set by one test would
 * leak into the next) holding `gcp:project` and `config`; keys without a namespace get `istio-burst:`.
 */
export function freshMocks(config: Record<string, string> = {}, outputs: OutputsFor = gkeOutputs()): PulumiMocks {
  const resources: RecordedResource[] = [];
  const fullConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries({ "gcp:project": TEST_PROJECT, ...config })) fullConfig[k.includes(":") ? k : `istio-burst:${k}`] = v;
  pulumi.runtime.setAllConfig({});
  // Config is read through the PULUMI_CONFIG environment variable by a fresh @pulumi/pulumi module.
  process.env.PULUMI_CONFIG = JSON.stringify(fullConfig);
  for (const [k, v] of Object.entries(fullConfig)) pulumi.runtime.setConfig(k, v);

  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const id = `${args.name}-id`;
        const options = registeredOptions.get(`${args.type}::${args.name}`) ?? { aliases: [], ignoreChanges: [], deleteBeforeReplace: false };
        resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, provider: args.provider, custom: args.custom ?? true, ...options });
        return { id, state: { ...args.inputs, ...(outputs({ type: args.type, name: args.name, inputs: args.inputs }) ?? {}) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "istio-burst",
    "test",
    false,
    TEST_ORGANIZATION,
  );

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  current = {
    resources,
    ofType,
    dependenciesOf(r) {
      const direct = (key: string) => {
        const [type, name] = key.split("::");
        // a resource read rather than registered (a StackReference) depends on nothing
        return registered(type, name) ? dependenciesOf(type, name) : [];
      };
      const seen = new Set<string>();
      const todo = direct(`${r.type}::${r.name}`);
      for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
        if (seen.has(key)) continue;
        seen.add(key);
        todo.push(...direct(key));
      }
      return seen;
    },
    get(type, name) {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) throw new Error(`no ${type} named ${name}; have: ${ofType(type).map((r) => r.name).join(", ") || "none"}`);
      return found;
    },
  };
  return current;
}

/** Waits until the mock engine has registered everything started so far (the count stops growing). */
export async function settleAll(): Promise<void> {
  let stable = 0;
  let last = -1;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 10));
    const count = current?.resources.length ?? 0;
    if (count === last) stable++;
    else [stable, last] = [0, count];
  }
}

/**
 * Runs the whole program (index.ts) afresh under mocks with this config and returns the recorded
 * resources and the program's exports.
 */
export async function runProgram(
  config: Record<string, string> = {},
  outputs: OutputsFor = gkeOutputs(),
): Promise<{ mocks: PulumiMocks; program: Record<string, any> }> {
  const mocks = freshMocks(config, outputs);
  let program!: Record<string, any>;
  jest.isolateModules(() => {
    program = require("../../index");
  });
  await settleAll();
  // the run is over: its copy of the runtime leaves nothing on the process (several runs share a test)
  dropModuleExitHooks();
  return { mocks, program };
}

/** A run of the whole program: its recorded resources and its exports. */
export type ProgramRun = Awaited<ReturnType<typeof runProgram>>;

/**
 * The whole program run once for a describe block, in its beforeAll: read `run.mocks` and
 * `run.program` in the tests.
 */
export function programRun(config: Record<string, string> = {}, outputs: OutputsFor = gkeOutputs()): ProgramRun {
  const run = {} as ProgramRun;
  beforeAll(async () => {
    Object.assign(run, await runProgram(config, outputs));
  });
  return run;
}

/** The value of an Output (resolves once the mock engine has run). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Pulumi's wire signature of a secret value: how a secret input reaches the (mock) engine. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value arrived at the engine as a secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** A recorded input value with any secret envelope removed (recursively). */
export function plain<T = any>(v: unknown): T {
  if (isSecretInput(v)) return plain((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map((x) => plain(x)) as T;
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
  return v as T;
}

/** Every string outside secret envelopes inside a value. */
export function plainStringsIn(value: unknown, out: string[] = []): string[] {
  if (isSecretInput(value)) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => plainStringsIn(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => plainStringsIn(v, out));
  return out;
}

/** Every string anywhere inside a value (for "the password appears nowhere" checks). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => stringsIn(v, out));
  return out;
}

/** Logical name of the provider a recorded resource was registered with (`...::primary-k8s::primary-k8s-id` -> `primary-k8s`). */
export function providerName(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  return ref.split("::").slice(0, -1).pop();
}

/** The two clusters' Kubernetes providers, named as GkeCluster names them. */
export function makeProviders(): Record<"primary" | "burst", k8s.Provider> {
  return {
    primary: new k8s.Provider("primary-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n# primary" }),
    burst: new k8s.Provider("burst-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n# burst" }),
  };
}

/** Which cluster a recorded resource was registered in (by its provider), or undefined. */
export function clusterOf(r: RecordedResource): "primary" | "burst" | undefined {
  const m = /^(primary|burst)-k8s$/.exec(providerName(r.provider) ?? "");
  return m ? (m[1] as "primary" | "burst") : undefined;
}

/** Kubernetes objects declared (not read back: those have no kind). */
export const isKubernetesObject = (r: RecordedResource) => r.type.startsWith("kubernetes:") && r.inputs.kind !== undefined;

/** Recorded Kubernetes objects of a kind, e.g. "Deployment", optionally in one cluster. */
export function objects(mocks: PulumiMocks, kind: string, cluster?: "primary" | "burst"): RecordedResource[] {
  return mocks.resources.filter((r) => isKubernetesObject(r) && r.inputs.kind === kind && (!cluster || clusterOf(r) === cluster));
}

/** The one recorded object of a kind with a metadata.name in a cluster. */
export function object(mocks: PulumiMocks, kind: string, name: string, cluster?: "primary" | "burst"): RecordedResource {
  const found = objects(mocks, kind, cluster).filter((r) => r.inputs.metadata?.name === name);
  if (found.length !== 1) {
    const have = objects(mocks, kind, cluster).map((r) => `${r.inputs.metadata?.name}@${clusterOf(r)}`);
    throw new Error(`expected one ${kind} ${name}${cluster ? ` in ${cluster}` : ""}, found ${found.length}; have ${have.join(", ") || "none"}`);
  }
  return found[0];
}

/** The containers of a recorded Deployment. */
export function containersOf(deployment: RecordedResource): any[] {
  return deployment.inputs.spec.template.spec.containers;
}

/** A container's env as name -> value (or `secret:<name>/<key>` for secretKeyRef). */
export function envOf(container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const field = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = ref ? `secret:${ref.name}/${ref.key}` : field ? `field:${field}` : e.value;
  }
  return env;
}

/** Records the props and options every resource under a component is constructed with (transformations are inherited by children). */
export function propsRecorder() {
  const seen: { resource: pulumi.Resource; type: string; name: string; props: pulumi.Inputs; opts: pulumi.ResourceOptions }[] = [];
  const transformation: pulumi.ResourceTransformation = ({ resource, type, name, props, opts }) => {
    seen.push({ resource, type, name, props, opts });
    return undefined;
  };
  return { seen, transformations: [transformation] };
}

/** The security checks every container must pass. */
export function expectRestrictedContainer(container: any, pod: any): void {
  const sc = container.securityContext ?? {};
  const podSc = pod.securityContext ?? {};
  const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  expect({ name: container.name, runAsNonRoot }).toEqual({ name: container.name, runAsNonRoot: true });
  expect(typeof runAsUser).toBe("number");
  expect(runAsUser).toBeGreaterThan(0);
  expect(sc.readOnlyRootFilesystem).toBe(true);
  expect(sc.allowPrivilegeEscalation).toBe(false);
  expect(sc.privileged ?? false).toBe(false);
  expect(sc.capabilities?.drop).toEqual(["ALL"]);
  expect(sc.capabilities?.add ?? []).toEqual([]);
  expect(container.resources?.requests?.cpu).toBeDefined();
  expect(container.resources?.requests?.memory).toBeDefined();
  expect(container.resources?.limits?.cpu).toBeDefined();
  expect(container.resources?.limits?.memory).toBeDefined();
  expect(container.readinessProbe).toBeDefined();
  expect(container.livenessProbe).toBeDefined();
}
