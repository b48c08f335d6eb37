/**
 * The stack's programs as processes here, configured as the stack configures their pods: the watcher
 * with the env the stack gave its Deployment (read back from the primary API server), the primary
 * reached with a token of its own ServiceAccount and burst with the kubeconfig the stack stored for
 * its scaler; the frontend, for the doctor to reach as users do, reading that watcher's /status.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST, builtProgram, freePort, killedWithParent, stopChild, waitForUrl } from "../../packages/tooling/src/processes";
import type { Kube } from "../../packages/tooling/src/kube";

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A built program (`apps/frontend/dist/index.js`, ...) on a free port, its output in `<dir>/<name>.log`, ready once `/_healthz` answers. */
async function startBuiltService(name: string, program: string, env: Record<string, string>, dir: string): Promise<ServiceProcess> {
  const port = await freePort();
  const fullEnv = { ...env, PORT: String(port) };
  const cmd = killedWithParent(process.execPath, [builtProgram(program)]);
  const child = spawn(cmd.file, cmd.args, { env: { PATH: process.env.PATH ?? "", ...fullEnv }, stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(join(dir, `${name}.log`));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://${HOST}:${port}`;
  await waitForUrl(`${url}/_healthz`, { timeoutMs: 30_000, anyStatus: true });
  return { child, url, env: fullEnv, stop: async () => void (await stopChild(child, "SIGTERM", 10_000)) };
}

export async function startWatcherProcess(opts: {
  primary: Kube;
  dir: string;
  namespace: string;
  /** kubeconfig of the watcher's ServiceAccount in the primary */
  primaryKubeconfig: string;
  /** the scaler's kubeconfig for burst, as the stack stored it */
  burstKubeconfig: string;
  prometheusUrl: string;
  /** the pod this process stands for: its name, which the Deployment's env takes from the downward API (POD_NAME) */
  pod?: string;
}): Promise<ServiceProcess> {
  const pod = opts.pod ?? "istio-watcher-e2e-0";
  const deployment = await opts.primary.apps.readNamespacedDeployment({ name: "istio-watcher", namespace: opts.namespace });
  const fromPod = (e: { value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }) => {
    if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") return pod;
    if (e.valueFrom) throw new Error(`the watcher's env takes ${JSON.stringify(e.valueFrom)}, which the suite does not stand in for`);
    return e.value ?? "";
  };
  const deployed = Object.fromEntries((deployment.spec!.template.spec!.containers[0].env ?? []).map((e) => [e.name, fromPod(e)]));
  const primaryFile = join(opts.dir, `${pod}-primary.kubeconfig`);
  const burstFile = join(opts.dir, `${pod}-burst.kubeconfig`);
  writeFileSync(primaryFile, opts.primaryKubeconfig, { mode: 0o600 });
  writeFileSync(burstFile, opts.burstKubeconfig, { mode: 0o600 });
  // What differs from the pod: where its files and Prometheus are (and its port).
  return startBuiltService(pod, "watcher/dist/index.js", { ...deployed, PROMETHEUS_URL: opts.prometheusUrl, BURST_KUBECONFIG: burstFile, KUBECONFIG: primaryFile }, opts.dir);
}

/** The frontend, its Redis given, reading the routing from `watcherUrl`. */
export function startFrontendProcess(opts: { dir: string; redisUrl: string; watcherUrl: string }): Promise<ServiceProcess> {
  // nothing is sent at the initial rate of 0: the worker's URL is never called
  return startBuiltService("frontend", "apps/frontend/dist/index.js", { REDIS_URL: opts.redisUrl, PROCESSOR_URL: `http://${HOST}:9`, WATCHER_URL: opts.watcherUrl }, opts.dir);
}
