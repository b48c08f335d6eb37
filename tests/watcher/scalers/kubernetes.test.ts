/**
 * The Kubernetes scaler through the real @kubernetes/client-node against the fake API server: the
 * Deployment read for desired/ready, the scale subresource patched with a merge patch, 404, 403, 409;
 * every check reads the object back.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { createKubernetesScaler } from "../../../watcher/src/scalers/kubernetes";
import { KubeApiError } from "../../../watcher/src/kube-errors";
import { kubeConfigFile, kubeConfigFor, startFakeKubeApi, workerDeployment, type FakeKubeApi } from "../../helpers/fake-kube-api";

const NS = "default";
const NAME = "worker-deployment";
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
  api.put("apps", "v1", "deployments", workerDeployment({ replicas: 0 }));
});

const scaler = (name = NAME) => createKubernetesScaler({ namespace: NS, name, kubeConfig: kc });
const stored = () => api.get("apps", "v1", "deployments", NS, NAME) as { spec: { replicas: number }; metadata: { labels: Record<string, string> } };
const setReady = (ready: number) =>
  api.modify("apps", "v1", "deployments", NS, NAME, (d) => {
    d.status = { replicas: ready, readyReplicas: ready };
  });

describe("Kubernetes scaler (real client library, fake API server)", () => {
  it("reads desired and ready from the Deployment (no readyReplicas: 0 ready)", async () => {
    const s = await scaler();
    expect(s.description).toBe("Deployment default/worker-deployment (burst cluster)");
    expect(await s.get()).toEqual({ desired: 0, ready: 0 });
    api.put("apps", "v1", "deployments", workerDeployment({ replicas: 3, ready: 2 }));
    expect(await s.get()).toEqual({ desired: 3, ready: 2 });
  });

  it("scales through the scale subresource with a merge patch, touching nothing else; readiness read back", async () => {
    const s = await scaler();
    await s.scale(2);
    const patches = api.requests.filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0].path).toBe(`/apis/apps/v1/namespaces/${NS}/deployments/${NAME}/scale`);
    expect(patches[0].contentType).toBe("application/merge-patch+json");
    expect(JSON.parse(patches[0].body)).toEqual({ spec: { replicas: 2 } });
    expect(stored().spec.replicas).toBe(2);
    expect(stored().metadata.labels).toEqual({ app: "worker", "cluster-type": "burst-cluster" });
    expect(await s.get()).toEqual({ desired: 2, ready: 0 });
    setReady(2);
    expect(await s.get()).toEqual({ desired: 2, ready: 2 });
    await s.scale(0);
    expect(stored().spec.replicas).toBe(0);
  });

  it("404: no such Deployment, said plainly", async () => {
    const s = await scaler("missing");
    await expect(s.get()).rejects.toThrow(/get Deployment default\/missing \(burst cluster\): no such Deployment in the burst cluster \(HTTP 404/);
    await expect(s.scale(1)).rejects.toMatchObject({ status: 404 });
  });

  it("403: names the RBAC permission missing", async () => {
    const s = await scaler();
    api.deny("patch", "deployments/scale");
    const err = (await s.scale(1).catch((e: unknown) => e)) as KubeApiError;
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/forbidden \(HTTP 403\): the burst kubeconfig's account needs patch on deployments\/scale "worker-deployment".*RBAC/);
    api.deny("get", "deployments");
    await expect(s.get()).rejects.toThrow(/needs get on deployments/);
    expect(stored().spec.replicas).toBe(0);
  });

  it("409: re-reads and retries once; a second 409 fails", async () => {
    let conflicts = 0;
    const s = await createKubernetesScaler({ namespace: NS, name: NAME, kubeConfig: kc, onConflict: () => conflicts++ });
    api.failNextPatch(409);
    await s.scale(3);
    expect(conflicts).toBe(1);
    expect(stored().spec.replicas).toBe(3);
    const methods = api.requests.map((r) => r.method);
    expect(methods).toEqual(["PATCH", "GET", "PATCH"]);
    api.failNextPatch(409, 2);
    await expect(s.scale(4)).rejects.toMatchObject({ status: 409 });
    expect(stored().spec.replicas).toBe(3);
  });

  it("loads the burst cluster's kubeconfig from a file (BURST_KUBECONFIG)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "burst-kc-"));
    try {
      const file = join(dir, "kubeconfig");
      writeFileSync(file, kubeConfigFile(api));
      const s = await createKubernetesScaler({ namespace: NS, name: NAME, kubeConfigFile: file });
      expect(await s.get()).toEqual({ desired: 0, ready: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
