import { IMAGES, clusterOf, containersOf, envOf, expectRestrictedContainer, freshMocks, makeProviders, object, settleAll, valueOf } from "../../helpers/pulumi";
import { FrontendApp } from "../../../apps/stack/frontend";

describe("FrontendApp", () => {
  async function build(replicas: number, watcherUrl?: string) {
    const mocks = freshMocks();
    const { primary } = makeProviders();
    const fe = new FrontendApp("frontend", { provider: primary, namespace: "hashr", image: IMAGES.frontend, replicas, redisSecretName: "redis-credentials", watcherUrl });
    expect(await valueOf(fe.serviceName)).toBe("frontend-service");
    expect(await valueOf(fe.serviceAccountName)).toBe("frontend");
    await settleAll();
    return mocks;
  }

  it("creates frontend-deployment and frontend-service (80 -> 8080) in the primary cluster", async () => {
    const mocks = await build(1, "http://istio-watcher");
    // the watcher's default query keys on source_workload="frontend-deployment"
    const dep = object(mocks, "Deployment", "frontend-deployment");
    expect(clusterOf(dep)).toBe("primary");
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy).toEqual({ type: "Recreate" });
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "frontend", version: "v1", "cluster-type": "primary-cluster" });
    const [c] = containersOf(dep);
    expect(c.image).toBe(IMAGES.frontend);
    expect(c.imagePullPolicy).toBe("IfNotPresent");
    expect(envOf(c)).toEqual({
      PORT: "8080",
      PROCESSOR_URL: "http://worker-service",
      REDIS_URL: "secret:redis-credentials/url",
      BURST_PREFIX: "bursty-",
      WATCHER_URL: "http://istio-watcher",
    });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/_healthz", port: 8080 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/", port: 8080 });
    expectRestrictedContainer(c, dep.inputs.spec.template.spec);
    expect(c.securityContext.runAsUser).toBe(1000);

    const svc = object(mocks, "Service", "frontend-service");
    expect(clusterOf(svc)).toBe("primary");
    expect(svc.inputs.metadata.annotations).toBeUndefined();
    expect(svc.inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { app: "frontend" },
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
    });
  });

  it("runs its pods under their own ServiceAccount (their mesh identity), with no API token", async () => {
    const mocks = await build(1);
    const sa = object(mocks, "ServiceAccount", "frontend");
    expect(clusterOf(sa)).toBe("primary");
    expect(sa.inputs.metadata.namespace).toBe("hashr");
    expect(sa.inputs.automountServiceAccountToken).toBe(false);
    const pod = object(mocks, "Deployment", "frontend-deployment").inputs.spec.template.spec;
    expect(pod.serviceAccountName).toBe("frontend");
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("sets WATCHER_URL only when given (without it the page says routing is not configured)", async () => {
    const mocks = await build(1);
    expect(envOf(containersOf(object(mocks, "Deployment", "frontend-deployment"))[0])).not.toHaveProperty("WATCHER_URL");
  });

  it("scaled to 0, tells Pulumi not to wait for the Service's endpoints", async () => {
    const mocks = await build(0);
    expect(object(mocks, "Deployment", "frontend-deployment").inputs.spec.replicas).toBe(0);
    expect(object(mocks, "Service", "frontend-service").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });
});
