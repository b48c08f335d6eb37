import { IMAGES, clusterOf, containersOf, envOf, expectRestrictedContainer, freshMocks, makeProviders, object, objects, propsRecorder, settleAll, valueOf } from "../../helpers/pulumi";
import { WORKER_REPLICAS_IGNORE_CHANGES, WorkerPool } from "../../../apps/stack/worker-pool";
import { burstWorkerPlacement } from "../../../k8s/workload";

describe("WorkerPool", () => {
  it.each([
    ["primary", "primary-cluster", ""],
    ["burst", "burst-cluster", "bursty-"],
  ] as const)("in the %s cluster: worker-deployment labelled %s, PREFIX %j, worker-service 80 -> 8081", async (cluster, clusterType, prefix) => {
    const mocks = freshMocks();
    const providers = makeProviders();
    const pool = new WorkerPool(`workers-${cluster}`, {
      provider: providers[cluster],
      namespace: "hashr",
      cluster,
      image: IMAGES.worker,
      replicas: 3,
      hashRounds: 500,
      redisSecretName: "redis-credentials",
    });
    expect(await valueOf(pool.serviceName)).toBe("worker-service");
    await settleAll();

    const dep = object(mocks, "Deployment", "worker-deployment", cluster);
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.metadata.namespace).toBe("hashr");
    expect(dep.inputs.spec.replicas).toBe(3);
    expect(dep.inputs.spec.selector).toEqual({ matchLabels: { app: "worker" } });
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "worker", version: "v1", "cluster-type": clusterType });
    const annotations = dep.inputs.spec.template.metadata.annotations;
    expect(JSON.parse(annotations["proxy.istio.io/config"])).toEqual({ holdApplicationUntilProxyStarts: true });
    expect(annotations["prometheus.io/port"]).toBe("8081");

    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.worker);
    expect(envOf(c)).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: prefix, HASH_ROUNDS: "500" });
    expect(c.ports).toEqual([{ name: "http", containerPort: 8081 }]);
    // the 2018 codelab's probes: readiness GET /_healthz, liveness GET / on 8081
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/_healthz", port: 8081 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/", port: 8081 });
    expectRestrictedContainer(c, dep.inputs.spec.template.spec);
    expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(dep.inputs.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(10);

    const svc = object(mocks, "Service", "worker-service", cluster);
    expect(svc.inputs.metadata.annotations).toBeUndefined();
    expect(svc.inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { app: "worker" },
      ports: [{ name: "http", port: 80, targetPort: 8081, protocol: "TCP" }],
    });
    expect(objects(mocks, "Deployment").map(clusterOf)).toEqual([cluster]);
  });

  it("scaled to 0, tells Pulumi not to wait for the Service's endpoints", async () => {
    const mocks = freshMocks();
    const { burst } = makeProviders();
    new WorkerPool("idle", { provider: burst, namespace: "hashr", cluster: "burst", image: IMAGES.worker, replicas: 0, hashRounds: 1, redisSecretName: "other-secret" });
    await settleAll();
    const dep = object(mocks, "Deployment", "worker-deployment", "burst");
    expect(dep.inputs.spec.replicas).toBe(0);
    expect(envOf(containersOf(dep)[0]).REDIS_URL).toBe("secret:other-secret/url");
    expect(object(mocks, "Service", "worker-service", "burst").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("with its size owned elsewhere: created at the given count, Pulumi ignores spec.replicas afterwards (and only that)", async () => {
    const mocks = freshMocks();
    const { burst } = makeProviders();
    const recorder = propsRecorder();
    new WorkerPool(
      "owned",
      { provider: burst, namespace: "hashr", cluster: "burst", image: IMAGES.worker, replicas: 1, replicasOwnedElsewhere: true, hashRounds: 1, redisSecretName: "redis-credentials" },
      { transformations: recorder.transformations },
    );
    await settleAll();
    expect(object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.replicas).toBe(1);
    const withIgnore = recorder.seen.filter((x) => (x.opts.ignoreChanges ?? []).length > 0);
    expect(withIgnore.map((x) => x.type)).toEqual(["kubernetes:apps/v1:Deployment"]);
    expect(withIgnore[0].opts.ignoreChanges).toEqual(["spec.replicas"]);
    expect(WORKER_REPLICAS_IGNORE_CHANGES).toEqual(["spec.replicas"]);
    // its size changes at run time: the Service never waits for endpoints
    expect(object(mocks, "Service", "worker-service", "burst").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("a pool whose size Pulumi owns keeps every change (no ignoreChanges), and runs anywhere without a placement", async () => {
    freshMocks();
    const { primary } = makeProviders();
    const recorder = propsRecorder();
    new WorkerPool("fixed", { provider: primary, namespace: "hashr", cluster: "primary", image: IMAGES.worker, replicas: 2, hashRounds: 1, redisSecretName: "r" }, { transformations: recorder.transformations });
    await settleAll();
    expect(recorder.seen.filter((x) => (x.opts.ignoreChanges ?? []).length > 0)).toEqual([]);
    const pod = recorder.seen.find((x) => x.type === "kubernetes:apps/v1:Deployment")!.props.spec.template.spec;
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
  });

  it("with a placement: selects and tolerates the burst worker node pool", async () => {
    const mocks = freshMocks();
    const { burst } = makeProviders();
    new WorkerPool("placed", { provider: burst, namespace: "hashr", cluster: "burst", image: IMAGES.worker, replicas: 0, hashRounds: 1, redisSecretName: "r", placement: burstWorkerPlacement() });
    await settleAll();
    const pod = object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ "istio-burst/pool": "burst-workers" });
    expect(pod.tolerations).toEqual([{ key: "istio-burst/pool", operator: "Equal", value: "burst-workers", effect: "NoSchedule" }]);
  });
});
