/**
 * A fake Kubernetes API server (node:http) that behaves like the real one for what the watcher
 * touches: namespaced custom objects (GET, PATCH with JSON patch or merge patch, 415 for other
 * patch types such as strategic merge, which custom resources do not support), 404, 403 (RBAC),
 * 409 Conflict when a patch carries a stale metadata.resourceVersion, 422 when a JSON-patch `test`
 * fails, a resourceVersion that increments on every write, bearer-token auth, and core/v1 Events;
 * and apps/v1 Deployments (stored with put("apps", "v1", "deployments", ...)) with their scale
 * subresource (GET and PATCH `deployments/{name}/scale`, autoscaling/v1 Scale; a patch of
 * spec.replicas changes the Deployment's spec.replicas; readiness is set by the test); and GET of
 * any other stored object, core/v1 ones too (stored with put("", "v1", "configmaps", ...)).
 * Point @kubernetes/client-node at it with kubeConfigFor().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

export interface FakeKubeApi {
  readonly url: string;
  readonly token: string;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** Events created (POST /api/v1/namespaces/{ns}/events), as stored. */
  readonly events: Obj[];
  /** Creates or replaces an object (apiVersion group/version, kind plural given); bumps resourceVersion. */
  put(group: string, version: string, plural: string, obj: Obj): Obj;
  get(group: string, version: string, plural: string, namespace: string, name: string): Obj | undefined;
  /** Changes a stored object as another client would (bumps resourceVersion). */
  modify(group: string, version: string, plural: string, namespace: string, name: string, fn: (o: Obj) => void): Obj;
  /** Runs once, when the next PATCH arrives and before it is applied (a concurrent writer). */
  beforeNextPatch(fn: () => void): void;
  /** The next `times` PATCH requests are answered with this HTTP status (e.g. 409) before anything else. */
  failNextPatch(code: number, times?: number): void;
  /** Verbs ("get", "patch", "create") on a resource ("virtualservices", "events", "deployments", "deployments/scale") answered 403. */
  deny(verb: string, resource: string): void;
  allowAll(): void;
  close(): Promise<void>;
}

const ACCEPTED_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeKubeApi(opts: { token?: string } = {}): Promise<FakeKubeApi> {
  const token = opts.token ?? "fake-token-" + Math.random().toString(36).slice(2);
  const store = new Map<string, Obj>();
  const events: Obj[] = [];
  const requests: RecordedRequest[] = [];
  const denied = new Set<string>();
  let rvCounter = 1000;
  let uidCounter = 0;
  let hook: (() => void) | undefined;
  let failing: { code: number; times: number } | undefined;

  const key = (group: string, version: string, plural: string, ns: string, name: string) => `${group}/${version}/${plural}/${ns}/${name}`;
  const bump = (o: Obj) => {
    ((o.metadata ??= {}) as Obj).resourceVersion = String(++rvCounter);
  };

  const api: FakeKubeApi = {
    url: "",
    token,
    requests,
    events,
    put(group, version, plural, obj) {
      const copy = clone(obj) as Obj;
      const md = (copy.metadata ??= {}) as Obj;
      const k = key(group, version, plural, String(md.namespace ?? "default"), String(md.name));
      const prev = store.get(k);
      md.namespace = md.namespace ?? "default";
      md.uid = prev ? (prev.metadata as Obj).uid : `uid-${++uidCounter}`;
      md.generation = prev ? Number((prev.metadata as Obj).generation) + 1 : 1;
      bump(copy);
      store.set(k, copy);
      return clone(copy) as Obj;
    },
    get(group, version, plural, namespace, name) {
      const o = store.get(key(group, version, plural, namespace, name));
      return o ? (clone(o) as Obj) : undefined;
    },
    modify(group, version, plural, namespace, name, fn) {
      const o = store.get(key(group, version, plural, namespace, name));
      if (!o) throw new Error(`no such object ${namespace}/${name}`);
      fn(o);
      bump(o);
      return clone(o) as Obj;
    },
    beforeNextPatch(fn) {
      hook = fn;
    },
    failNextPatch(code, times = 1) {
      failing = { code, times };
    },
    deny(verb, resource) {
      denied.add(`${verb} ${resource}`);
    },
    allowAll() {
      denied.clear();
    },
    close: async () => undefined,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    const url = new URL(req.url ?? "/", "http://x");
    const contentType = req.headers["content-type"]?.split(";")[0].trim();
    requests.push({ method: req.method ?? "", path: url.pathname, contentType, body });
    if (req.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, "Unauthorized", "Unauthorized");

    if (req.method === "PATCH" && failing && failing.times > 0) {
      failing.times--;
      const code = failing.code;
      throw new HttpError(code, code === 409 ? "Conflict" : "Failure", code === 409 ? "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again" : `injected failure ${code}`);
    }
    const scalePath = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(url.pathname);
    if (scalePath) {
      const [, ns, name] = scalePath;
      const verb = req.method === "GET" ? "get" : req.method === "PATCH" ? "patch" : undefined;
      if (!verb) throw new HttpError(405, "MethodNotAllowed", `method ${req.method} not allowed`);
      if (denied.has(`${verb} deployments/scale`)) {
        throw new HttpError(403, "Forbidden", `deployments.apps "${name}" is forbidden: User "system:serviceaccount:istio-system:watcher" cannot ${verb} resource "deployments/scale" in API group "apps" in the namespace "${ns}"`);
      }
      if (verb === "patch" && contentType !== "application/merge-patch+json" && contentType !== "application/json-patch+json" && contentType !== "application/strategic-merge-patch+json") {
        throw new HttpError(415, "UnsupportedMediaType", `the body of the request was in an unknown format`);
      }
      const k = key("apps", "v1", "deployments", ns, name);
      const dep = store.get(k);
      if (!dep) throw new HttpError(404, "NotFound", `deployments.apps "${name}" not found`);
      const scaleOf = (d: Obj): Obj => ({
        kind: "Scale",
        apiVersion: "autoscaling/v1",
        metadata: { name, namespace: ns, uid: (d.metadata as Obj).uid, resourceVersion: (d.metadata as Obj).resourceVersion },
        spec: { replicas: ((d.spec as Obj | undefined)?.replicas as number | undefined) ?? 1 },
        status: { replicas: ((d.status as Obj | undefined)?.replicas as number | undefined) ?? 0 },
      });
      if (verb === "get") return send(res, 200, scaleOf(dep));
      let patch: Json;
      try {
        patch = JSON.parse(body) as Json;
      } catch (err) {
        throw new HttpError(400, "BadRequest", `error decoding patch: ${(err as Error).message}`);
      }
      const current = scaleOf(dep);
      const patched = contentType === "application/json-patch+json" ? applyJsonPatch(current, patch) : (mergePatch(clone(current), patch) as Obj);
      const rv = (patched.metadata as Obj | undefined)?.resourceVersion;
      if (rv !== undefined && rv !== (current.metadata as Obj).resourceVersion) throw new HttpError(409, "Conflict", `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      const replicas = (patched.spec as Obj | undefined)?.replicas;
      if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) throw new HttpError(422, "Invalid", `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
      if (replicas !== ((dep.spec as Obj | undefined)?.replicas ?? 1)) {
        ((dep.spec ??= {}) as Obj).replicas = replicas;
        (dep.metadata as Obj).generation = Number((dep.metadata as Obj).generation ?? 1) + 1;
        bump(dep);
      }
      return send(res, 200, scaleOf(dep));
    }
    const core = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (core && req.method === "GET") {
      const [, ns, plural, name] = core;
      if (denied.has(`get ${plural}`)) throw new HttpError(403, "Forbidden", `${plural} "${name}" is forbidden: cannot get resource "${plural}" in API group "" in the namespace "${ns}"`);
      const found = store.get(key("", "v1", plural, ns, name));
      if (!found) throw new HttpError(404, "NotFound", `${plural} "${name}" not found`);
      return send(res, 200, found);
    }
    const custom = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const eventsPath = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    if (custom) {
      const [, group, version, ns, plural, name] = custom;
      const verb = req.method === "GET" ? "get" : req.method === "PATCH" ? "patch" : req.method === "PUT" ? "update" : undefined;
      if (!verb) throw new HttpError(405, "MethodNotAllowed", `method ${req.method} not allowed`);
      if (denied.has(`${verb} ${plural}`)) {
        throw new HttpError(
          403,
          "Forbidden",
          `${plural}.${group} "${name}" is forbidden: User "system:serviceaccount:istio-system:watcher" cannot ${verb} resource "${plural}" in API group "${group}" in the namespace "${ns}"`,
        );
      }
      const k = key(group, version, plural, ns, name);
      if (verb === "patch") {
        if (!contentType || !ACCEPTED_PATCH_TYPES.includes(contentType)) {
          throw new HttpError(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED_PATCH_TYPES.join(", ")}`,
          );
        }
        if (contentType === "application/apply-patch+yaml") throw new HttpError(415, "UnsupportedMediaType", "server-side apply is not implemented by this fake");
        const h = hook;
        hook = undefined;
        h?.();
      }
      const current = store.get(k);
      if (!current) throw new HttpError(404, "NotFound", `${plural}.${group} "${name}" not found`);
      if (verb === "get") return send(res, 200, current);
      if (verb === "patch") {
        let patch: Json;
        try {
          patch = JSON.parse(body) as Json;
        } catch (err) {
          throw new HttpError(400, "BadRequest", `error decoding patch: ${(err as Error).message}`);
        }
        const patched =
          contentType === "application/json-patch+json" ? applyJsonPatch(current, patch) : (mergePatch(clone(current), patch) as Obj);
        const md = patched.metadata as Obj | undefined;
        const currentRv = (current.metadata as Obj).resourceVersion;
        if (md?.resourceVersion !== undefined && md.resourceVersion !== currentRv) {
          throw new HttpError(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${plural}.${group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        // identity fields cannot change through a patch
        (patched.metadata as Obj).name = name;
        (patched.metadata as Obj).namespace = ns;
        (patched.metadata as Obj).uid = (current.metadata as Obj).uid;
        if (JSON.stringify(patched.spec) !== JSON.stringify(current.spec)) {
          (patched.metadata as Obj).generation = Number((current.metadata as Obj).generation ?? 1) + 1;
        }
        bump(patched);
        store.set(k, patched);
        return send(res, 200, patched);
      }
      throw new HttpError(405, "MethodNotAllowed", `method ${req.method} not allowed`);
    }
    if (eventsPath && req.method === "POST") {
      const ns = eventsPath[1];
      if (denied.has("create events")) throw new HttpError(403, "Forbidden", `events is forbidden: cannot create resource "events" in the namespace "${ns}"`);
      if (contentType !== "application/json") throw new HttpError(415, "UnsupportedMediaType", `unsupported media type ${contentType}`);
      const ev = JSON.parse(body) as Obj;
      const md = (ev.metadata ??= {}) as Obj;
      if (md.namespace !== undefined && md.namespace !== ns) throw new HttpError(400, "BadRequest", "the namespace of the object does not match the namespace on the request");
      if (!md.name) {
        if (!md.generateName) throw new HttpError(422, "Invalid", "metadata.name or metadata.generateName is required");
        md.name = `${String(md.generateName)}${Math.random().toString(16).slice(2, 12)}`;
      }
      if (typeof ev.reason !== "string" || !ev.involvedObject) throw new HttpError(422, "Invalid", "reason and involvedObject are required");
      md.namespace = ns;
      md.uid = `uid-${++uidCounter}`;
      md.resourceVersion = String(++rvCounter);
      events.push(ev);
      return send(res, 201, ev);
    }
    throw new HttpError(404, "NotFound", `the server could not find the requested resource (${req.method} ${url.pathname})`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, "InternalError", String(err));
      send(res, e.code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: e.message, reason: e.reason, code: e.code });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: Json, patch: Json): Json {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Obj = typeof target === "object" && target !== null && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, test); a failed op is 422 as on the real API server. */
function applyJsonPatch(doc: Obj, patch: Json): Obj {
  if (!Array.isArray(patch)) throw new HttpError(400, "BadRequest", "json patch must be an array of operations");
  const root = { doc: clone(doc) as Json };
  for (const raw of patch) {
    const op = raw as { op?: string; path?: string; value?: Json };
    if (typeof op.path !== "string" || !op.path.startsWith("/")) throw new HttpError(422, "Invalid", `invalid path ${String(op.path)}`);
    const tokens = op.path
      .slice(1)
      .split("/")
      .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = tokens.pop() as string;
    let parent: Json = root.doc;
    for (const t of tokens) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(t)] : typeof parent === "object" && parent !== null ? parent[t] : undefined;
      if (next === undefined) throw new HttpError(422, "Invalid", `jsonpatch ${op.op} operation does not apply: doc is missing path: ${op.path}`);
      parent = next;
    }
    if (typeof parent !== "object" || parent === null) throw new HttpError(422, "Invalid", `doc is missing path: ${op.path}`);
    const container = parent as Obj | Json[];
    const has = Array.isArray(container) ? Number(last) < container.length : Object.prototype.hasOwnProperty.call(container, last);
    switch (op.op) {
      case "test":
        if (!has || JSON.stringify(getAt(container, last)) !== JSON.stringify(op.value)) {
          throw new HttpError(422, "Invalid", `testing value ${op.path} failed: test failed`);
        }
        break;
      case "add":
        if (Array.isArray(container)) container.splice(last === "-" ? container.length : Number(last), 0, clone(op.value as Json));
        else container[last] = clone(op.value as Json);
        break;
      case "replace":
        if (!has) throw new HttpError(422, "Invalid", `jsonpatch replace operation does not apply: doc is missing key: ${op.path}`);
        if (Array.isArray(container)) container[Number(last)] = clone(op.value as Json);
        else container[last] = clone(op.value as Json);
        break;
      case "remove":
        if (!has) throw new HttpError(422, "Invalid", `jsonpatch remove operation does not apply: doc is missing path: ${op.path}`);
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last];
        break;
      default:
        throw new HttpError(422, "Invalid", `unsupported json patch op ${String(op.op)}`);
    }
  }
  return root.doc as Obj;
}

function getAt(container: Obj | Json[], last: string): Json {
  return Array.isArray(container) ? container[Number(last)] : container[last];
}

/** A KubeConfig (for loadFromOptions) pointing at the fake with its bearer token. */
export function kubeConfigOptions(api: FakeKubeApi, namespace = "default") {
  return {
    clusters: [{ name: "fake", server: api.url, skipTLSVerify: true }],
    users: [{ name: "watcher", token: api.token }],
    contexts: [{ name: "fake", cluster: "fake", user: "watcher", namespace }],
    currentContext: "fake",
  };
}

/** A client-node KubeConfig for the fake server (the library is ESM-only: loaded on demand). */
export async function kubeConfigFor(api: FakeKubeApi, namespace = "default"): Promise<KubeConfig> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(api, namespace));
  return kc;
}

/** The same as a kubeconfig YAML/JSON file body (KUBECONFIG for a spawned watcher). */
export function kubeConfigFile(api: FakeKubeApi, namespace = "default"): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server: api.url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "watcher", user: { token: api.token } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "watcher", namespace } }],
    "current-context": "fake",
  });
}

/** The burst worker Deployment (apps/v1) with `replicas` asked for and `ready` of them ready. */
export function workerDeployment(opts: { namespace?: string; name?: string; replicas?: number; ready?: number } = {}): Obj {
  const replicas = opts.replicas ?? 0;
  const ready = opts.ready ?? 0;
  const labels = { app: "worker", "cluster-type": "burst-cluster" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: opts.name ?? "worker-deployment", namespace: opts.namespace ?? "default", labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "worker", image: "worker:test" }] } } },
    status: ready > 0 ? { replicas, readyReplicas: ready, availableReplicas: ready } : { replicas },
  };
}

/** The worker VirtualService as Pulumi creates it (natural weights), in networking.istio.io/v1. */
export function workerVirtualService(opts: { namespace?: string; name?: string; primary?: number; burst?: number; reversed?: boolean } = {}): Obj {
  const ns = opts.namespace ?? "default";
  const host = `worker-service.${ns}.svc.cluster.local`;
  const primary: Obj = { destination: { host, subset: "primary", port: { number: 80 } }, weight: opts.primary ?? 100 };
  const burst: Obj = { destination: { host, subset: "burst", port: { number: 80 } }, weight: opts.burst ?? 0 };
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: opts.name ?? "worker-virtual-service", namespace: ns, labels: { app: "worker" } },
    spec: {
      hosts: ["worker-service"],
      gateways: ["mesh"],
      http: [{ route: opts.reversed ? [burst, primary] : [primary, burst], timeout: "10s" }],
    },
  };
}
