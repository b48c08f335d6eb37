/**
 * The watcher as it runs on the primary, but as a process here: the env the stack gave its
 * Deployment (read back from the primary API server), the primary reached with a token of its own
 * ServiceAccount (TokenRequest), the burst cluster with the kubeconfig the stack stored for its
 * scaler, and a stand-in Prometheus.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST, builtProgram, freePort, killedWithParent, stopChild, waitForUrl } from "../../local/src/processes";
import type { Kube } from "./kube";
import { kubeconfigYaml } from "./pki";

/** A kubeconfig that acts as a ServiceAccount, with a fresh token from the TokenRequest API. */
export async function serviceAccountKubeconfig(kube: Kube, server: string, caPem: string, namespace: string, account: string): Promise<string> {
  const request = await kube.core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600, audiences: [] } },
  });
  return kubeconfigYaml(`${account}@${namespace}`, server, caPem, { name: account, token: request.status!.token });
}

/** The text of a key of a Secret (its data, base64-decoded). */
export async function secretText(kube: Kube, namespace: string, name: string, key: string): Promise<string> {
  const secret = await kube.core.readNamespacedSecret({ name, namespace });
  const value = secret.data?.[key];
  if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
  return Buffer.from(value, "base64").toString("utf8");
}

export interface WatcherProcess {
  child: ChildProcess;
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
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
}): Promise<WatcherProcess> {
  const deployment = await opts.primary.apps.readNamespacedDeployment({ name: "istio-watcher", namespace: opts.namespace });
  const deployed = Object.fromEntries((deployment.spec!.template.spec!.containers[0].env ?? []).map((e) => [e.name, e.value ?? ""]));
  const primaryFile = join(opts.dir, "watcher-primary.kubeconfig");
  const burstFile = join(opts.dir, "watcher-burst.kubeconfig");
  writeFileSync(primaryFile, opts.primaryKubeconfig, { mode: 0o600 });
  writeFileSync(burstFile, opts.burstKubeconfig, { mode: 0o600 });
  const port = await freePort();
  // What differs from the pod: where its files and Prometheus are, and its port.
  const env = { ...deployed, PORT: String(port), PROMETHEUS_URL: opts.prometheusUrl, BURST_KUBECONFIG: burstFile, KUBECONFIG: primaryFile };
  const cmd = killedWithParent(process.execPath, [builtProgram("watcher/dist/index.js")]);
  const child = spawn(cmd.file, cmd.args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(join(opts.dir, "watcher.log"));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://${HOST}:${port}`;
  await waitForUrl(`${url}/_healthz`, { timeoutMs: 30_000, anyStatus: true });
  return { child, url, env, stop: async () => void (await stopChild(child, "SIGTERM", 10_000)) };
}
