/**
 * A stand-in for istiod's sidecar injector, for the burst API server to call through the primary's
 * east-west gateway address, as GKE's does: TLS on port 15017 with a certificate for the `istiod`
 * Service, answering the injection path (`/inject/cluster/<cluster>/net/<network>`) with a patch that
 * adds an `istio-proxy` container (or, for a gateway pod that already names one, sets its image), and,
 * as istiod does, keeping the injector webhooks' `caBundle` set to its CA.
 */
import { mkdirSync, readFileSync } from "node:fs";
import https from "node:https";
import { networkInterfaces } from "node:os";
import { ISTIO_NAMESPACE } from "../../istio/common";
import type { Kube } from "../../doctor/src/kube";
import { makeServingPki } from "./pki";

/** The port of istiod's webhooks on the east-west gateway. */
export const INJECTOR_PORT = 15017;

/**
 * This machine's first non-loopback IPv4 address: one the API servers can reach and an EndpointSlice
 * accepts (loopback it refuses). A setup error when there is none.
 */
export function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  throw new Error("setup error: this machine has no non-loopback IPv4 address for the stand-in injector to listen on");
}

interface PodObject {
  spec?: { containers?: { name: string }[] };
}

interface AdmissionReview {
  request?: { uid: string; object?: PodObject };
}

/** The JSON patch of a pod: istio-proxy added, or its image set when the pod names one (a gateway). */
export function injectionPatch(pod: PodObject | undefined, proxyImage: string): unknown[] {
  const containers = pod?.spec?.containers ?? [];
  const at = containers.findIndex((c) => c.name === "istio-proxy");
  if (at >= 0) return [{ op: "replace", path: `/spec/containers/${at}/image`, value: proxyImage }];
  return [{ op: "add", path: "/spec/containers/-", value: { name: "istio-proxy", image: proxyImage, args: ["proxy", "sidecar"] } }];
}

export interface StandInInjector {
  address: string;
  /** the injection paths called so far */
  calls: string[];
  stop(): Promise<void>;
}

function readBody(req: import("node:http").IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/** Sets every webhook that calls istio-system/istiod to trust `caBundle`, in the given cluster. */
async function keepCaBundle(kube: Kube, caBundle: string): Promise<void> {
  const api = kube.config.makeApiClient(kube.lib.AdmissionregistrationV1Api);
  for (const config of (await api.listMutatingWebhookConfiguration()).items) {
    const ours = (config.webhooks ?? []).filter((w) => w.clientConfig.service?.namespace === ISTIO_NAMESPACE && w.clientConfig.service?.name === "istiod");
    if (ours.length === 0 || ours.every((w) => w.clientConfig.caBundle === caBundle)) continue;
    ours.forEach((w) => (w.clientConfig.caBundle = caBundle));
    await api.replaceMutatingWebhookConfiguration({ name: config.metadata!.name!, body: config });
  }
}

export async function startStandInInjector(opts: { dir: string; address: string; burst: Kube; proxyImage: string }): Promise<StandInInjector> {
  mkdirSync(opts.dir, { recursive: true });
  const names = [`istiod.${ISTIO_NAMESPACE}.svc`, `istiod.${ISTIO_NAMESPACE}.svc.cluster.local`];
  const pki = makeServingPki(opts.dir, "istiod", names);
  const calls: string[] = [];
  const server = https.createServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    calls.push(path);
    const review = JSON.parse(await readBody(req)) as AdmissionReview;
    const response = path.startsWith("/inject")
      ? { uid: review.request!.uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(injectionPatch(review.request?.object, opts.proxyImage))).toString("base64") }
      : { uid: review.request!.uid, allowed: true };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(INJECTOR_PORT, opts.address, resolve);
  });
  const caBundle = readFileSync(pki.caCert).toString("base64");
  let running = true;
  const watch = (async () => {
    while (running) {
      await keepCaBundle(opts.burst, caBundle).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    address: opts.address,
    calls,
    stop: async () => {
      running = false;
      await watch;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
