/**
 * The real istiod (`pilot-discovery`, built from the pinned charts' commit) for the primary cluster, run
 * here as a process the way kubelet would run the chart's pod: once the stack has created the istiod
 * Deployment, with that Deployment's own arguments and environment, and with a token of the chart's
 * own `istiod` ServiceAccount (never the administrator's), so a permission the chart lacks shows as an
 * error of istiod's. Its mesh config and injection templates come from the chart's ConfigMaps, as in
 * the pod. It listens where the stack's endpoints send the API servers and the sidecars: the
 * injection webhook on 15017 and xDS on 15010/15012 of this machine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST, freePort, httpOk, killedWithParent, portFree, sleep, stopChild, waitFor } from "../../packages/tooling/src/processes";
import { ISTIO_NAMESPACE } from "../../istio/common";
import { statusOf, type Kube } from "../../packages/tooling/src/kube";
import { serviceAccountKubeconfig } from "../../packages/tooling/src/credentials";
import type { E2eTools } from "./tools";

/** The plain-text xDS address sidecars (and the ADS probe) reach istiod at. */
export const ISTIOD_XDS = `${HOST}:15010`;

export interface Istiod {
  /** its debug/readiness address (http://127.0.0.1:<port>) */
  url: string;
  log: string;
  child: ChildProcess;
  /** stops it; true when it was running */
  stop(): Promise<boolean>;
  /** starts it again after a stop (same arguments, a fresh token) */
  restart(): Promise<void>;
}

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; resourceFieldRef?: { resource: string } } };

/** The container's env as kubelet resolves it for a pod named `pod` of ServiceAccount `account`. */
function resolveEnv(env: EnvVar[], pod: string, account: string): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": pod, "metadata.namespace": ISTIO_NAMESPACE, "spec.serviceAccountName": account };
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) out[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? "";
    // limits.cpu: this machine's two cores
    else if (e.valueFrom?.resourceFieldRef) out[e.name] = "2";
  }
  return out;
}

/** The istiod Deployment's container, once the stack has created it (undefined before). */
async function istiodContainer(kube: Kube): Promise<{ args: string[]; env: EnvVar[]; account: string } | undefined> {
  try {
    const d = await kube.apps.readNamespacedDeployment({ name: "istiod", namespace: ISTIO_NAMESPACE });
    const spec = d.spec!.template.spec!;
    const c = spec.containers.find((x) => x.name === "discovery")!;
    return { args: c.args ?? [], env: (c.env ?? []) as EnvVar[], account: spec.serviceAccountName ?? "istiod" };
  } catch {
    return undefined;
  }
}

/**
 * The process takes the place of the pod kwok would run (whose address nothing listens on), as the
 * pod network would route to it: the Deployment is scaled to 0 and an EndpointSlice of the istiod
 * Service names this machine's address with the Service's target ports, so the primary API server
 * (webhooks on, aggregator routing) calls the process for injection and validation.
 */
async function takePodsPlace(primary: Kube, address: string): Promise<void> {
  await primary.apps.patchNamespacedDeploymentScale(
    { name: "istiod", namespace: ISTIO_NAMESPACE, body: { spec: { replicas: 0 } } },
    primary.lib.setHeaderOptions("Content-Type", primary.lib.PatchStrategy.MergePatch),
  );
  const service = await primary.core.readNamespacedService({ name: "istiod", namespace: ISTIO_NAMESPACE });
  const ports = (service.spec!.ports ?? []).map((p) => ({ name: p.name, port: typeof p.targetPort === "number" ? p.targetPort : p.port, protocol: p.protocol ?? "TCP" }));
  const discovery = primary.config.makeApiClient(primary.lib.DiscoveryV1Api);
  await discovery.createNamespacedEndpointSlice({
    namespace: ISTIO_NAMESPACE,
    body: {
      metadata: { name: "istiod-process", labels: { "kubernetes.io/service-name": "istiod", "endpointslice.kubernetes.io/managed-by": "istio-burst-e2e" } },
      addressType: "IPv4",
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports,
    },
  });
}

/** The istiod Deployment's container once it exists; gives up at the deadline or when `signal` is aborted. */
async function deploymentCreated(primary: Kube, timeoutMs: number, signal?: AbortSignal): Promise<NonNullable<Awaited<ReturnType<typeof istiodContainer>>>> {
  const deadline = Date.now() + timeoutMs;
  while (!signal?.aborted) {
    const found = await istiodContainer(primary);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the stack's istiod Deployment in the primary`);
    await sleep(500);
  }
  throw new Error("istiod was not started: the run ended first");
}

/**
 * Waits for the stack's istiod Deployment in the primary (while `pulumi up` runs, or after), then runs
 * istiod from it until stopped. Resolves once istiod answers /ready; `signal` gives up the wait.
 */
export async function startIstiod(opts: {
  tools: E2eTools;
  dir: string;
  /** the primary, as its administrator (the harness plays kubelet and the pod network there) */
  primary: Kube;
  /** this machine's address: the primary's istiod Service is pointed at it, where the process listens */
  address: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<Istiod> {
  mkdirSync(opts.dir, { recursive: true });
  await checkPortsFree(opts.address);
  const container = await deploymentCreated(opts.primary, opts.timeoutMs ?? 600_000, opts.signal);
  await takePodsPlace(opts.primary, opts.address);
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const log = join(opts.dir, "istiod.log");
  const launch = async (): Promise<ChildProcess> => {
    const kubeconfig = join(opts.dir, "istiod.kubeconfig");
    writeFileSync(kubeconfig, await serviceAccountKubeconfig(opts.primary, ISTIO_NAMESPACE, container.account), { mode: 0o600 });
    const env = { ...resolveEnv(container.env, "istiod-e2e", container.account), KUBECONFIG: kubeconfig, PATH: process.env.PATH ?? "" };
    // where the pod mounts nothing here: mesh config and injection templates from their ConfigMaps
    const none = join(opts.dir, "not-mounted");
    const args = [...container.args, "--kubeconfig", kubeconfig, "--httpAddr", `${HOST}:${port}`, "--meshConfig", join(none, "mesh"), "--networksConfig", join(none, "meshNetworks")];
    const cmd = killedWithParent(opts.tools.path("pilot-discovery"), args);
    const child = spawn(cmd.file, cmd.args, { cwd: opts.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out = createWriteStream(log, { flags: "a" });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    await waitFor(`istiod to answer ${url}/ready (its log: ${log})`, async () => child.exitCode === null && (await httpOk(`${url}/ready`)), 120_000, 250).catch((err: Error) => {
      if (child.exitCode !== null) throw new Error(`istiod exited with ${child.exitCode}; its log: ${log}`);
      throw err;
    });
    return child;
  };
  const istiod: Istiod = {
    url,
    log,
    child: await launch(),
    async stop() {
      const running = istiod.child.exitCode === null;
      await stopChild(istiod.child, "SIGTERM", 10_000);
      return running;
    },
    async restart() {
      await istiod.stop();
      await sleep(100);
      istiod.child = await launch();
    },
  };
  // as kubelet ends the pod once its Deployment is gone (pulumi destroy): not before the objects that
  // istiod's webhooks guard are deleted, not after
  void (async () => {
    while (!opts.signal?.aborted && (await deploymentExists(opts.primary))) await sleep(1000);
    await istiod.stop();
  })();
  return istiod;
}

/** The fixed ports istiod listens on (xDS, xDS with TLS, the injection webhook). */
const ISTIOD_PORTS = [15010, 15012, 15017];

/**
 * A setup error when something already listens on istiod's ports at `address` (another end-to-end run
 * on this machine, say): the webhooks and the probe would reach that istiod instead of this run's.
 */
async function checkPortsFree(address: string): Promise<void> {
  const taken: number[] = [];
  for (const port of ISTIOD_PORTS) if (!(await portFree(port, address))) taken.push(port);
  if (taken.length > 0) throw new Error(`setup error: something already listens on ${address}:${taken.join(", ")}, istiod's ports (another end-to-end run on this machine?); the suite runs one istiod at a time`);
}

/** Whether the istiod Deployment is still there (a failed read counts as there: only a 404 ends it). */
async function deploymentExists(primary: Kube): Promise<boolean> {
  try {
    await primary.apps.readNamespacedDeployment({ name: "istiod", namespace: ISTIO_NAMESPACE });
    return true;
  } catch (err) {
    return statusOf(err) !== 404;
  }
}
