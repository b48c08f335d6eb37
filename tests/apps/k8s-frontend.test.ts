import { valueOf } from "../helpers/pulumi";
import {
  IMAGES,
  clusterOf,
  containersOf,
  envOf,
  expectRestrictedContainer,
  makeProviders,
  object,
  setupMocks,
  waitForResources,
} from "../stack/fixtures";
import { FrontendApp } from "../../apps/frontend-app";

describe("FrontendApp", () => {
  it("creates frontend-deployment and frontend-service (80 -> 8080) in the primary cluster", async () => {
    const mocks = setupMocks();
    const { primary } = await makeProviders();
    const fe = new FrontendApp("frontend", { provider: primary, namespace: "hashr", image: IMAGES.frontend });
    expect(await valueOf(fe.serviceName)).toBe("frontend-service");
    await waitForResources(mocks);

    // the watcher's default query keys on source_workload="frontend-deployment"
    const dep = object(mocks, "Deployment", "frontend-deployment");
    expect(clusterOf(dep)).toBe("primary");
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy).toEqual({ type: "Recreate" });
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "frontend", version: "v1", "cluster-type": "primary-cluster" });
    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.frontend);
    expect(envOf(c)).toEqual({
      PORT: "8080",
      PROCESSOR_URL: "http://worker-service",
      REDIS_URL: "secret:redis-credentials/url",
      BURST_PREFIX: "bursty-",
    });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/_healthz", port: 8080 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/", port: 8080 });
    expectRestrictedContainer(c, dep.inputs.spec.template.spec);

    const svc = object(mocks, "Service", "frontend-service");
    expect(clusterOf(svc)).toBe("primary");
    expect(svc.inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { app: "frontend" },
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
    });
  });

  it("passes burst prefix, processor URL and replicas through", async () => {
    const mocks = setupMocks();
    const { primary } = await makeProviders();
    new FrontendApp("fe2", {
      provider: primary,
      namespace: "hashr",
      image: IMAGES.frontend,
      replicas: 0,
      burstPrefix: "cloud-",
      processorUrl: "http://worker-service.hashr:80",
    });
    await waitForResources(mocks);
    const dep = object(mocks, "Deployment", "frontend-deployment");
    expect(dep.inputs.spec.replicas).toBe(0);
    expect(object(mocks, "Service", "frontend-service").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(envOf(containersOf(dep)[0])).toMatchObject({ BURST_PREFIX: "cloud-", PROCESSOR_URL: "http://worker-service.hashr:80" });
  });

  it.each([
    [{ replicas: 2 }, /frontend replicas must be an integer in 0\.\.1/],
    [{ burstPrefix: "" }, /burstPrefix must be a non-empty string/],
    [{ processorUrl: "worker-service:80" }, /processorUrl must be an http\(s\) URL/],
    [{ runAsUser: 0 }, /frontend runAsUser must be an integer >= 1/],
  ])("refuses %j", async (override, message) => {
    setupMocks();
    const { primary } = await makeProviders();
    const args: any = { provider: primary, namespace: "hashr", image: IMAGES.frontend, ...override };
    expect(() => new FrontendApp("bad-fe", args)).toThrow(message);
  });
});
