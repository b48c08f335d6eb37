import { isSecret, objects, PULLABLE_IMAGES, providerName, runProgram, SHAPES, valueOf, type PulumiMocks, programRun } from "../helpers/pulumi";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const READER_GRANT = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";

describe("index.ts wiring (whole program)", () => {
  const run = programRun();
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
        "gkeNetwork",
        "imageRefs",
        "ingressGatewayAddress",
        "istioVersion",
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

  it("exports the Istio release every Istio Helm release of both clusters installs", async () => {
    const istio = run.mocks.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.name.startsWith("istio-"));
    expect(istio.length).toBeGreaterThanOrEqual(5);
    expect(await valueOf(run.program.istioVersion)).toBe("1.31.4");
    for (const r of istio) expect({ release: r.name, version: r.inputs.version }).toEqual({ release: r.name, version: "1.31.4" });
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

  it("every Deployment of both clusters, the watcher's too, waits for the nodes' pull grant on the stack's registry", () => {
    const grants = run.mocks.ofType(READER_GRANT);
    expect(grants.map((g) => g.inputs.role)).toEqual(["roles/artifactregistry.reader"]);
    const grant = `${READER_GRANT}::${grants[0].name}`;
    const deployments = objects(run.mocks, "Deployment");
    expect(deployments.map((d) => d.inputs.metadata.name).sort()).toEqual(["frontend-deployment", "istio-watcher", "redis-cache", "worker-deployment", "worker-deployment"]);
    for (const d of deployments) expect({ deployment: d.name, waits: run.mocks.dependenciesOf(d).has(grant) }).toEqual({ deployment: d.name, waits: true });
  });

  it("keeps the kubeconfigs secret and nothing else of part 1 needlessly so", async () => {
    expect(await isSecret(run.program.primaryKubeconfig)).toBe(true);
    expect(await isSecret(run.program.burstKubeconfig)).toBe(true);
    expect(await isSecret(run.program.eastWestGatewayAddress)).toBe(false);
    expect(await isSecret(run.program.prometheusUrl)).toBe(false);
  });
});

describe("pull grant with prebuilt images", () => {
  const waitingForAGrant = (mocks: PulumiMocks) =>
    objects(mocks, "Deployment").filter((d) => [...mocks.dependenciesOf(d)].some((dep) => dep.startsWith(`${READER_GRANT}::`)));

  it("with every image prebuilt there is no registry, and nothing waits for a grant", async () => {
    const { mocks } = await runProgram({ frontendImage: PULLABLE_IMAGES.frontend, workerImage: PULLABLE_IMAGES.worker, watcherImage: PULLABLE_IMAGES.watcher });
    expect(mocks.ofType(READER_GRANT)).toEqual([]);
    expect(objects(mocks, "Deployment")).toHaveLength(5);
    expect(waitingForAGrant(mocks)).toEqual([]);
  });

  it("with one image built, every Deployment waits for the grant, those running a prebuilt image too", async () => {
    const { mocks } = await runProgram({ frontendImage: PULLABLE_IMAGES.frontend, watcherImage: PULLABLE_IMAGES.watcher });
    expect(mocks.ofType(READER_GRANT)).toHaveLength(1);
    expect(waitingForAGrant(mocks)).toHaveLength(5);
  });

  it("an existing cluster's shape builds nothing, so nothing waits", async () => {
    const { mocks } = await runProgram(SHAPES.ownPrimary);
    expect(waitingForAGrant(mocks)).toEqual([]);
  });
});

describe("the istioVersion output", () => {
  it("is the configured release, not the default", async () => {
    const { program } = await runProgram({ istioVersion: "1.31.2" });
    expect(await valueOf(program.istioVersion)).toBe("1.31.2");
  });
});
