import { valueOf } from "../helpers/pulumi";
import {
  IMAGES,
  clusterOf,
  containersOf,
  envOf,
  expectRestrictedContainer,
  makeProviders,
  object,
  objects,
  setupMocks,
  waitForResources,
} from "../stack/fixtures";
import { WorkerPool } from "../../apps/worker-pool";

describe("WorkerPool", () => {
  it.each([
    ["primary", "primary-cluster", ""],
    ["burst", "burst-cluster", "bursty-"],
  ] as const)("in the %s cluster: worker-deployment labelled %s, PREFIX %j, worker-service 80 -> 8081", async (cluster, clusterType, prefix) => {
    const mocks = setupMocks();
    const providers = await makeProviders();
    const pool = new WorkerPool(`workers-${cluster}`, { provider: providers[cluster], namespace: "hashr", cluster, image: IMAGES.worker });
    expect(pool.clusterType).toBe(clusterType);
    expect(await valueOf(pool.serviceName)).toBe("worker-service");
    await waitForResources(mocks);

    const dep = object(mocks, "Deployment", "worker-deployment", cluster);
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.metadata.namespace).toBe("hashr");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.selector).toEqual({ matchLabels: { app: "worker" } });
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "worker", version: "v1", "cluster-type": clusterType });
    const annotations = dep.inputs.spec.template.metadata.annotations;
    expect(JSON.parse(annotations["proxy.istio.io/config"])).toEqual({ holdApplicationUntilProxyStarts: true });
    expect(annotations["prometheus.io/port"]).toBe("8081");

    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.worker);
    expect(envOf(c)).toEqual({ PORT: "8081", REDIS_URL: "secret:redis-credentials/url", PREFIX: prefix, HASH_ROUNDS: "1" });
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

  it("passes replicas, hash rounds, prefix, secret name and resources through", async () => {
    const mocks = setupMocks();
    const { burst } = await makeProviders();
    const resources = { requests: { cpu: "1", memory: "256Mi" }, limits: { cpu: "2", memory: "512Mi" } };
    new WorkerPool("tuned", {
      provider: burst,
      namespace: "ns2",
      cluster: "burst",
      image: IMAGES.worker,
      replicas: 3,
      hashRounds: 500,
      prefix: "cloud-",
      redisSecretName: "other-secret",
      resources,
      runAsUser: 4242,
    });
    await waitForResources(mocks);
    const dep = object(mocks, "Deployment", "worker-deployment", "burst");
    expect(dep.inputs.spec.replicas).toBe(3);
    const [c] = containersOf(dep);
    expect(envOf(c)).toMatchObject({ PREFIX: "cloud-", HASH_ROUNDS: "500", REDIS_URL: "secret:other-secret/url" });
    expect(c.resources).toEqual(resources);
    expect(c.securityContext.runAsUser).toBe(4242);
  });

  it("scaled to 0, tells Pulumi not to wait for the Service's endpoints", async () => {
    const mocks = setupMocks();
    const { burst } = await makeProviders();
    new WorkerPool("idle", { provider: burst, namespace: "hashr", cluster: "burst", image: IMAGES.worker, replicas: 0 });
    await waitForResources(mocks);
    expect(object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.replicas).toBe(0);
    expect(object(mocks, "Service", "worker-service", "burst").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it.each([
    [{ hashRounds: 0 }, /hashRounds must be an integer >= 1/],
    [{ replicas: -1 }, /worker replicas \(primary\) must be an integer >= 0/],
    [{ replicas: 1.5 }, /worker replicas/],
    [{ runAsUser: 0 }, /worker runAsUser must be an integer >= 1/],
    [{ cluster: "cloud" }, /cluster must be "primary" or "burst"/],
    [{ provider: undefined }, /provider is required/],
  ])("refuses %j", async (override, message) => {
    setupMocks();
    const { primary } = await makeProviders();
    const args: any = { provider: primary, namespace: "hashr", cluster: "primary", image: IMAGES.worker, ...override };
    expect(() => new WorkerPool("bad-pool", args)).toThrow(message);
  });
});
