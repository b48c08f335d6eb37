/**
 * The e2e suite's write recorder (e2e/src/writes.ts) against API servers that answer slowly: a window
 * opened after `caughtUp()` never holds a write made before it, and one made after is seen with its
 * writer. A recorder that stamped a change when it happened to read it, late, would put a write of the
 * killed leader inside the takeover window.
 */
import type { Kube } from "../../packages/tooling/src/kube";
import { WriteRecorder } from "../../e2e/src/writes";

const LATENCY_MS = 150;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** API servers holding the worker VirtualService, its burst Deployment and the Lease; each read
 * answers what was there when it was asked, LATENCY_MS later. */
class SlowClusters {
  weights = { primary: 100, burst: 0 };
  writer = "istio-burst-watcher/istio-watcher-a";
  replicas = 0;
  holder = "istio-watcher-a";
  reads = 0;

  private answer<T>(value: T): Promise<T> {
    this.reads++;
    return delay(LATENCY_MS).then(() => value);
  }

  get primary(): Kube {
    const virtualService = () => ({
      metadata: { managedFields: [{ manager: this.writer, fieldsV1: { "f:spec": { "f:http": {} } } }] },
      spec: { http: [{ route: Object.entries(this.weights).map(([subset, weight]) => ({ destination: { subset }, weight })) }] },
    });
    const lease = () => ({ spec: { holderIdentity: this.holder } });
    return {
      lib: { CoordinationV1Api: "CoordinationV1Api" },
      config: { makeApiClient: () => ({ readNamespacedLease: () => this.answer(lease()) }) },
      objects: { read: () => this.answer(virtualService()) },
      core: { listNamespacedEvent: () => this.answer({ items: [] }) },
    } as unknown as Kube;
  }

  get burst(): Kube {
    const deployment = () => ({ metadata: { managedFields: [{ manager: this.writer, fieldsV1: { "f:spec": { "f:replicas": {} } } }] }, spec: { replicas: this.replicas } });
    return { apps: { readNamespacedDeployment: () => this.answer(deployment()) } } as unknown as Kube;
  }
}

describe("WriteRecorder.caughtUp", () => {
  let recorder: WriteRecorder | undefined;
  afterEach(async () => {
    await recorder?.stop();
    recorder = undefined;
  });

  it("resolves only after a read begun after the call, so a change made while a read was under way is in before the window opens", async () => {
    const clusters = new SlowClusters();
    recorder = new WriteRecorder(clusters.primary, clusters.burst, "default");
    recorder.start();
    await recorder.caughtUp();
    // a read is under way (it asked before the change below, so it answers the old weights)
    const before = clusters.reads;
    while (clusters.reads === before) await delay(5);
    clusters.weights = { primary: 0, burst: 100 };
    clusters.replicas = 2;
    await recorder.caughtUp();
    const windowOpens = Date.now();
    expect(recorder.writes.map(({ what, value, writer }) => ({ what, value, writer }))).toEqual(
      expect.arrayContaining([
        { what: "weights", value: "primary=0,burst=100", writer: "istio-burst-watcher/istio-watcher-a" },
        { what: "replicas", value: "2", writer: "istio-burst-watcher/istio-watcher-a" },
      ]),
    );
    expect(recorder.writes).toHaveLength(2);
    expect(recorder.between(windowOpens, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("sees a write made after the window opened inside it, with its writer and the Lease's holder", async () => {
    const clusters = new SlowClusters();
    recorder = new WriteRecorder(clusters.primary, clusters.burst, "default");
    recorder.start();
    await recorder.caughtUp();
    clusters.holder = "istio-watcher-b";
    await recorder.caughtUp();
    const windowOpens = Date.now();
    clusters.writer = "istio-burst-watcher/istio-watcher-b";
    clusters.weights = { primary: 50, burst: 50 };
    await recorder.caughtUp();
    expect(recorder.between(windowOpens, Date.now()).map((w) => [w.value, w.writer])).toEqual([["primary=50,burst=50", "istio-burst-watcher/istio-watcher-b"]]);
    expect(recorder.holders.map((h) => h.holder)).toEqual(["istio-watcher-a", "istio-watcher-b"]);
    expect(recorder.notByLeader()).toEqual([]);
  });

  it("reads once more when the recorder is stopped", async () => {
    const clusters = new SlowClusters();
    recorder = new WriteRecorder(clusters.primary, clusters.burst, "default");
    await recorder.caughtUp();
    clusters.weights = { primary: 0, burst: 100 };
    await recorder.caughtUp();
    expect(recorder.writes.map((w) => w.value)).toEqual(["primary=0,burst=100"]);
  });
});
