import { isSecret, providerName, runProgram, settleAll, valueOf } from "../helpers/pulumi";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("index.ts wiring (whole program)", () => {
  let run: Awaited<ReturnType<typeof runProgram>>;
  beforeAll(async () => {
    run = await runProgram();
    await settleAll();
  });
  const image = (name: string) => run.mocks.get(DEPLOYMENT, name).inputs.spec.template.spec.containers[0].image;

  it("exports exactly the documented stack outputs", () => {
    expect(Object.keys(run.program).sort()).toEqual(
      [
        "appNamespace",
        "burstClusterName",
        "burstEastWestGatewayAddress",
        "burstKubeconfig",
        "eastWestGatewayAddress",
        "firewallRule",
        "frontendService",
        "frontendUrl",
        "imageRefs",
        "ingressGatewayAddress",
        "primaryClusterName",
        "primaryKubeconfig",
        "project",
        "prometheusUrl",
        "registryUrl",
        "remoteSecretName",
        "watcherSettings",
        "workerVirtualService",
        "zone",
      ].sort(),
    );
  });

  it("the app's Deployments run the images this stack built", async () => {
    const refs = await valueOf<Record<string, string>>(run.program.imageRefs);
    expect(image("hashr-frontend-deployment")).toBe(refs.frontend);
    expect(image("hashr-primary-workers-deployment")).toBe(refs.worker);
    expect(image("hashr-burst-workers-deployment")).toBe(refs.worker);
    expect(image("hashr-watcher-deployment")).toBe(refs.watcher);
  });

  it("burst workers run in burst, everything else of the app in primary", () => {
    const where = Object.fromEntries(run.mocks.ofType(DEPLOYMENT).map((d) => [d.name, providerName(d.provider)]));
    expect(where).toEqual({
      "hashr-frontend-deployment": "primary-k8s",
      "hashr-primary-workers-deployment": "primary-k8s",
      "hashr-redis-deployment": "primary-k8s",
      "hashr-watcher-deployment": "primary-k8s",
      "hashr-burst-workers-deployment": "burst-k8s",
    });
  });

  it("the watcher is given the exported Prometheus address and the configured thresholds", async () => {
    const env = run.mocks.get(DEPLOYMENT, "hashr-watcher-deployment").inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    const byName = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(byName.PROMETHEUS_URL).toBe(await valueOf(run.program.prometheusUrl));
    expect(byName).toMatchObject({ HIGH_RPS: "15", LOW_RPS: "10", MODE: "switch", NATURAL_WEIGHTS: "100,0", BURST_WEIGHTS: "0,100" });
  });

  it("keeps the kubeconfigs secret and nothing else of part 1 needlessly so", async () => {
    expect(await isSecret(run.program.primaryKubeconfig)).toBe(true);
    expect(await isSecret(run.program.burstKubeconfig)).toBe(true);
    expect(await isSecret(run.program.eastWestGatewayAddress)).toBe(false);
    expect(await isSecret(run.program.prometheusUrl)).toBe(false);
  });
});
