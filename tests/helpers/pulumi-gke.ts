/**
 * Additions to the Pulumi mock harness (tests/helpers/pulumi.ts) for the GCP/GKE/Istio stack tests:
 * a config reset (the runtime's config store is process-global, so keys set by one test would leak into
 * the next), canned state for resources the cloud fills in (GKE cluster endpoint, CA and pod range,
 * image digests, load-balancer addresses, the service-account token), and program loading.
 */
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, settle, type OutputsFor, type PulumiMocks } from "./pulumi";

/** The project every test stack runs in unless told otherwise. */
export const TEST_PROJECT = "burst-demo-123";

/** Pod range the mock gives a cluster, by its logical name. */
export const POD_RANGES: Record<string, string> = { primary: "10.4.0.0/14", burst: "10.8.0.0/14" };
export const EAST_WEST_IP = "10.138.0.42";
export const INGRESS_IP = "34.82.10.20";
export const READER_TOKEN = "reader-token-value";

/** Base64 of a string (what the cloud/Kubernetes hand back in `data` and CA fields). */
export const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Canned outputs for the resources of this stack; `extra` wins. */
export function gkeOutputs(extra: OutputsFor = () => undefined): OutputsFor {
  return (r) => {
    const more = extra(r);
    if (more) return more;
    switch (r.type) {
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
      case "docker-build:index:Image":
        return { ref: `${r.inputs.tags?.[0] ?? "img"}@sha256:${"0".repeat(64)}`, digest: `sha256:${"0".repeat(64)}` };
      case "kubernetes:core/v1:Service":
        if (r.name.includes("eastwest")) return { status: { loadBalancer: { ingress: [{ ip: EAST_WEST_IP }] } } };
        if (r.name.includes("ingress")) return { status: { loadBalancer: { ingress: [{ ip: INGRESS_IP }] } } };
        return undefined;
      case "kubernetes:core/v1:Secret":
        if (r.name.includes("reader-token"))
          return {
            metadata: { name: "istio-reader-service-account-token", namespace: "istio-system" },
            data: { token: b64(READER_TOKEN), "ca.crt": b64("ca-of-burst") },
          };
        return undefined;
      default:
        return undefined;
    }
  };
}

/** Mocks with a clean config store; keys without a namespace get `istio-burst:`. */
export function freshMocks(config: Record<string, string> = {}, outputs: OutputsFor = gkeOutputs()): PulumiMocks {
  pulumi.runtime.setAllConfig({});
  return setupPulumiMocks({ "gcp:project": TEST_PROJECT, ...config }, outputs);
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
  await settle();
  return { mocks, program };
}

/** Waits until the mock engine has registered everything, following chains of apply()-created resources. */
export async function settleAll(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await settle();
}


const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Whether a recorded input value is a secret (the mock engine hands secrets over wrapped). */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** A recorded input value with any secret wrapping removed (recursively). */
export function plain<T = any>(v: unknown): T {
  if (isSecretInput(v)) return plain((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map((x) => plain(x)) as T;
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
  return v as T;
}

/** Logical name of the provider a recorded resource was registered with (`...::primary-k8s::primary-k8s-id` -> `primary-k8s`). */
export function providerName(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const urn = ref.split("::").slice(0, -1).join("::");
  return urn.split("::").pop();
}

/** Rejects/resolves with an Output's value, including failures thrown inside apply(). */
export function settled<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as { promise(): Promise<T> }).promise();
}
