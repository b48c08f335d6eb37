/**
 * The Istio router through the real @kubernetes/client-node against a fake API server that
 * answers like the real one for a VirtualService; every check reads the object back.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "../../../watcher/src/kube-errors";
import { createIstioRouter, type IstioRouter } from "../../../watcher/src/routers/istio";
import { kubeConfigFor, startFakeKubeApi, workerVirtualService, type FakeKubeApi } from "../../helpers/fake-kube-api";

const G = "networking.istio.io";
const V = "v1";
const P = "virtualservices";
const NS = "default";
const NAME = "worker-virtual-service";

let api: FakeKubeApi;
let kc: KubeConfig;

beforeAll(async () => {
  api = await startFakeKubeApi();
  kc = await kubeConfigFor(api);
});
afterAll(() => api.close());

beforeEach(() => {
  api.allowAll();
  api.requests.length = 0;
  api.events.length = 0;
  api.put(G, V, P, workerVirtualService());
});

const router = (opts: Partial<Parameters<typeof createIstioRouter>[0]> = {}): Promise<IstioRouter> =>
  createIstioRouter({ namespace: NS, name: NAME, kubeConfig: kc, ...opts });

const stored = () => api.get(G, V, P, NS, NAME) as { metadata: { resourceVersion: string; labels?: Record<string, string> }; spec: any };
const weightsOf = (vs: { spec: any }) =>
  Object.fromEntries((vs.spec.http[0].route as { destination: { subset: string }; weight?: number }[]).map((d) => [d.destination.subset, d.weight]));

describe("Istio router (real client library, fake API server)", () => {
  it("reads the weights by subset name", async () => {
    expect(await (await router()).getWeights()).toEqual({ primary: 100, burst: 0 });
    api.put(G, V, P, workerVirtualService({ primary: 30, burst: 70, reversed: true }));
    expect(await (await router()).getWeights()).toEqual({ primary: 30, burst: 70 });
  });

  it("patches only the weights with a JSON patch, bumps resourceVersion, and writes an Event", async () => {
    const before = stored();
    const r = await router();
    await r.setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "observed 17 rps > HIGH_RPS 15" });
    const after = stored();
    expect(weightsOf(after)).toEqual({ primary: 0, burst: 100 });
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    // everything else unchanged
    expect({ ...after.spec, http: [{ ...after.spec.http[0], route: undefined }] }).toEqual({ ...before.spec, http: [{ ...before.spec.http[0], route: undefined }] });
    expect(after.spec.http[0].route.map((d: { destination: unknown }) => d.destination)).toEqual(before.spec.http[0].route.map((d: { destination: unknown }) => d.destination));
    expect(after.metadata.labels).toEqual({ app: "worker" });

    const patches = api.requests.filter((q) => q.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0].contentType).toBe("application/json-patch+json");
    const ops = JSON.parse(patches[0].body) as { op: string; path: string }[];
    expect(ops.filter((o) => o.op !== "test").map((o) => o.path).sort()).toEqual(
      ["/metadata/resourceVersion", "/spec/http/0/route/0/weight", "/spec/http/0/route/1/weight"].sort(),
    );

    expect(api.events).toHaveLength(1);
    const ev = api.events[0] as any;
    expect(ev).toMatchObject({
      reason: "BurstStarted",
      message: "observed 17 rps > HIGH_RPS 15",
      type: "Normal",
      involvedObject: { apiVersion: "networking.istio.io/v1", kind: "VirtualService", name: NAME, namespace: NS },
      metadata: { namespace: NS },
    });
    expect(ev.involvedObject.uid).toMatch(/^uid-/);
    expect(await r.getWeights()).toEqual({ primary: 0, burst: 100 });
  });

  it("finds the destinations by subset when the route lists burst first", async () => {
    api.put(G, V, P, workerVirtualService({ reversed: true }));
    await (await router()).setWeights({ primary: 40, burst: 60 }, { reason: "BurstIncreased", message: "m" });
    const vs = stored();
    expect(vs.spec.http[0].route[0].destination.subset).toBe("burst");
    expect(vs.spec.http[0].route[0].weight).toBe(60);
    expect(vs.spec.http[0].route[1].weight).toBe(40);
  });

  it("adds a weight that the object omitted", async () => {
    api.modify(G, V, P, NS, NAME, (o: any) => delete o.spec.http[0].route[1].weight);
    await (await router()).setWeights({ primary: 50, burst: 50 }, { reason: "BurstIncreased", message: "m" });
    expect(weightsOf(stored())).toEqual({ primary: 50, burst: 50 });
  });

  it("does not write (no PATCH, no Event) when the weights are already there", async () => {
    await (await router()).setWeights({ primary: 100, burst: 0 }, { reason: "BurstEnded", message: "m" });
    expect(api.requests.filter((q) => q.method !== "GET")).toEqual([]);
  });

  it("a concurrent change between GET and PATCH: 409, re-read, retry, the other change kept", async () => {
    let conflicts = 0;
    const r = await router({ onConflict: () => conflicts++ });
    api.beforeNextPatch(() =>
      api.modify(G, V, P, NS, NAME, (o: any) => {
        o.spec.http[0].timeout = "30s";
        o.metadata.labels.owner = "someone-else";
      }),
    );
    await r.setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "m" });
    const vs = stored();
    expect(weightsOf(vs)).toEqual({ primary: 0, burst: 100 });
    expect(vs.spec.http[0].timeout).toBe("30s");
    expect(vs.metadata.labels).toEqual({ app: "worker", owner: "someone-else" });
    expect(conflicts).toBe(1);
    const statuses = api.requests.map((q) => q.method);
    expect(statuses).toEqual(["GET", "PATCH", "GET", "PATCH", "POST"]);
    expect(api.events).toHaveLength(1);
  });

  it("a concurrent reorder of the routes is caught (test op) and the patch rebuilt by subset", async () => {
    const r = await router();
    api.beforeNextPatch(() => api.modify(G, V, P, NS, NAME, (o: any) => o.spec.http[0].route.reverse()));
    await r.setWeights({ primary: 20, burst: 80 }, { reason: "BurstIncreased", message: "m" });
    const vs = stored();
    expect(vs.spec.http[0].route[0].destination.subset).toBe("burst");
    expect(weightsOf(vs)).toEqual({ primary: 20, burst: 80 });
  });

  it("gives up after maxAttempts when the object keeps changing", async () => {
    const r = await router({ maxAttempts: 2 });
    const bumpOnPatch = () => api.modify(G, V, P, NS, NAME, (o: any) => (o.metadata.labels.n = String(Math.random())));
    api.beforeNextPatch(() => {
      bumpOnPatch();
      api.beforeNextPatch(bumpOnPatch);
    });
    const err = await r.setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "m" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(409);
    expect(weightsOf(stored())).toEqual({ primary: 100, burst: 0 });
  });

  it("404: a missing VirtualService is an error naming it", async () => {
    const r = await router({ name: "no-such-vs" });
    const err = (await r.getWeights().catch((e: unknown) => e)) as KubeApiError;
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.status).toBe(404);
    expect(err.message).toContain("VirtualService default/no-such-vs");
  });

  it("403 on patch: an error with the API server's message, object unchanged", async () => {
    api.deny("patch", P);
    const err = (await (await router()).setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "m" }).catch((e: unknown) => e)) as KubeApiError;
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/forbidden.*cannot patch resource "virtualservices"/);
    expect(weightsOf(stored())).toEqual({ primary: 100, burst: 0 });
    expect(api.events).toHaveLength(0);
  });

  it("403 on events: the change stands and the Event failure is reported", async () => {
    api.deny("create", "events");
    const eventErrors: Error[] = [];
    await (await router({ onEventError: (e) => eventErrors.push(e) })).setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "m" });
    expect(weightsOf(stored())).toEqual({ primary: 0, burst: 100 });
    expect(eventErrors).toHaveLength(1);
    expect(eventErrors[0].message).toContain("HTTP 403");
  });

  it("a VirtualService without primary/burst subsets is refused", async () => {
    api.modify(G, V, P, NS, NAME, (o: any) => (o.spec.http[0].route[1].destination.subset = "other"));
    await expect((await router()).getWeights()).rejects.toThrow(/no http route with destinations of subsets "primary" and "burst"/);
  });

  describe("the fake behaves like the API server", () => {
    it("rejects strategic merge patch (415), accepts merge patch with a resourceVersion check (409)", async () => {
      const k8s = await import("@kubernetes/client-node");
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const ref = { group: G, version: V, namespace: NS, plural: P, name: NAME };
      const smp = await custom
        .patchNamespacedCustomObject({ ...ref, body: { spec: {} } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch))
        .catch((e: { code?: number }) => e);
      expect((smp as { code?: number }).code).toBe(415);
      const stale = await custom
        .patchNamespacedCustomObject({ ...ref, body: { metadata: { resourceVersion: "1" }, spec: { gateways: ["x"] } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch))
        .catch((e: { code?: number }) => e);
      expect((stale as { code?: number }).code).toBe(409);
      const rv = stored().metadata.resourceVersion;
      await custom.patchNamespacedCustomObject({ ...ref, body: { spec: { gateways: ["x"] } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
      expect(stored().spec.gateways).toEqual(["x"]);
      expect(Number(stored().metadata.resourceVersion)).toBe(Number(rv) + 1);
    });

    it("answers 401 without the token", async () => {
      const res = await fetch(`${api.url}/apis/${G}/${V}/namespaces/${NS}/${P}/${NAME}`);
      expect(res.status).toBe(401);
    });
  });
});
