/**
 * Shared fixtures for the Kubernetes component tests: mocks with a known generated Redis password,
 * the two cluster providers, a wait for the mock engine, and helpers to read recorded objects.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PulumiMocks, RecordedResource, setupPulumiMocks } from "../helpers/pulumi";
import type { WatcherSettings } from "../../watcher/deployment";

/** What the mocked RandomPassword "generates": it must never show up outside a Secret. */
export const TEST_PASSWORD = "MockedRedisPassw0rdZ9yX8wV7uT6sR5";

export function setupMocks(config: Record<string, string> = {}): PulumiMocks {
  return setupPulumiMocks(config, (r) => (r.type === "random:index/randomPassword:RandomPassword" ? { result: TEST_PASSWORD } : undefined));
}

export interface Providers {
  primary: k8s.Provider;
  burst: k8s.Provider;
}

/** The two cluster providers, as part 1 will create them (one per GKE cluster). */
export async function makeProviders(): Promise<Providers> {
  return {
    primary: new k8s.Provider("primary", { kubeconfig: "apiVersion: v1\nkind: Config\n# primary" }),
    burst: new k8s.Provider("burst", { kubeconfig: "apiVersion: v1\nkind: Config\n# burst" }),
  };
}

/** Waits until the mock engine has registered everything started so far (the count stops growing). */
export async function waitForResources(mocks: PulumiMocks): Promise<void> {
  let stable = 0;
  let last = -1;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 10));
    if (mocks.resources.length === last) stable++;
    else {
      stable = 0;
      last = mocks.resources.length;
    }
  }
}

/** Which of the two providers a recorded resource was registered with, or undefined. */
export function clusterOf(r: RecordedResource): "primary" | "burst" | undefined {
  const m = /pulumi:providers:kubernetes::(primary|burst)::/.exec(r.provider ?? "");
  return m ? (m[1] as "primary" | "burst") : undefined;
}

export const isKubernetesObject = (r: RecordedResource) => r.type.startsWith("kubernetes:");

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
    env[e.name] = ref ? `secret:${ref.name}/${ref.key}` : e.value;
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

/** Settings as config.ts will hand them over (the documented defaults). */
export const SETTINGS: WatcherSettings = {
  highRps: 15,
  lowRps: 10,
  pollInterval: "1s",
  minDwell: "30s",
  mode: "switch",
  naturalWeights: [100, 0],
  burstWeights: [0, 100],
  primaryCapacityRps: 15,
  stepWeight: 10,
  maxBurstWeight: 100,
  dryRun: false,
};

export const IMAGES = {
  frontend: "us-west1-docker.pkg.dev/p/istio-burst/frontend@sha256:aaaa",
  worker: "us-west1-docker.pkg.dev/p/istio-burst/worker@sha256:bbbb",
  watcher: "us-west1-docker.pkg.dev/p/istio-burst/watcher@sha256:cccc",
};

/** Pulumi's wire signature of a secret value: how a secret input reaches the (mock) engine. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value arrived at the engine as a secret. */
export function isSecretInput(value: unknown): boolean {
  return !!value && typeof value === "object" && (value as any)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** A recorded input value with its secret envelope (if any) removed. */
export function unwrapSecret(value: any): any {
  return isSecretInput(value) ? value.value : value;
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
