/**
 * The shapes of the stack, each run as the whole program under mocks: two GKE clusters on one Istio
 * network (no key set: today's stack), two GKE clusters as two networks (`burstNetwork`), an existing
 * primary (`primaryKubeconfig`) with the GKE burst cluster, the GKE primary with an existing burst
 * cluster (`burstKubeconfig`), and both existing, on two networks. What must hold
 * in each: which clusters exist, where the east-west gateways are, the cross-network Gateway only
 * when the networks differ, the network labels, the injection path, the remote secret, and no
 * 0.0.0.0/0 unless the config says so.
 */
import {
  BURST_EAST_WEST_IP,
  EAST_WEST_IP,
  EAST_WEST_SOURCE_RANGES,
  OWN_BURST_CA,
  OWN_BURST_KUBECONFIG,
  OWN_BURST_SERVER,
  OWN_BURST_TOKEN,
  OWN_PRIMARY_KUBECONFIG,
  OWN_PRIMARY_TOKEN,
  OWN_REDIS_PASSWORD,
  POD_RANGES,
  PULLABLE_IMAGES,
  READER_TOKEN,
  RESERVED_EAST_WEST_IPS,
  SHAPES,
  b64,
  clusterOf,
  isKubernetesObject,
  isSecret,
  isSecretInput,
  object,
  objects,
  plain,
  plainStringsIn,
  providerName,
  runProgram,
  stringsIn,
  valueOf,
  type PulumiMocks,
  type RecordedResource,
} from "../helpers/pulumi";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const WORLD = /(^|[^0-9])0\.0\.0\.0\/0|^::\/0$/;

type Shape = keyof typeof SHAPES;
type Run = Awaited<ReturnType<typeof runProgram>>;

/**
 * Expected per shape: the networks of primary and burst, which clusters are GKE clusters of the stack,
 * and the primary's east-west address: reserved by the stack for a GKE primary (internal on one
 * network, public on two), else the load balancer's own.
 */
const EXPECT: Record<Shape, { primaryNetwork: string; burstNetwork: string; gkePrimary: boolean; gkeBurst: boolean; eastWestAddress: string }> = {
  gkeOneNetwork: { primaryNetwork: "network1", burstNetwork: "network1", gkePrimary: true, gkeBurst: true, eastWestAddress: RESERVED_EAST_WEST_IPS.internal },
  gkeTwoNetworks: { primaryNetwork: "network1", burstNetwork: "network2", gkePrimary: true, gkeBurst: true, eastWestAddress: RESERVED_EAST_WEST_IPS.public },
  ownPrimary: { primaryNetwork: "network1", burstNetwork: "network2", gkePrimary: false, gkeBurst: true, eastWestAddress: EAST_WEST_IP },
  ownBurst: { primaryNetwork: "network1", burstNetwork: "network2", gkePrimary: true, gkeBurst: false, eastWestAddress: RESERVED_EAST_WEST_IPS.public },
  ownClusters: { primaryNetwork: "network1", burstNetwork: "network2", gkePrimary: false, gkeBurst: false, eastWestAddress: EAST_WEST_IP },
};
const SHAPE_NAMES = Object.keys(SHAPES) as Shape[];
const twoNetworks = (shape: Shape) => EXPECT[shape].primaryNetwork !== EXPECT[shape].burstNetwork;

const runs = {} as Record<Shape, Run>;
beforeAll(async () => {
  for (const shape of SHAPE_NAMES) runs[shape] = await runProgram(SHAPES[shape]);
});

const releases = (mocks: PulumiMocks) => mocks.ofType(RELEASE);
/** The east-west gateway releases, as `<cluster>:<networkGateway>`. */
const eastWestGateways = (mocks: PulumiMocks) => releases(mocks).filter((r) => r.inputs.values?.networkGateway !== undefined);
const where = (r: RecordedResource) => clusterOf(r) ?? providerName(r.provider);

describe.each(SHAPE_NAMES)("shape %s", (shape) => {
  const run = () => runs[shape];
  const want = EXPECT[shape];
  const mocks = () => run().mocks;

  it("creates the GKE clusters of the shape: never a GKE cluster for an existing one", () => {
    const clusters = mocks().ofType("gcp:container/cluster:Cluster").map((c) => c.name).sort();
    expect(clusters).toEqual([...(want.gkeBurst ? ["burst-cluster"] : []), ...(want.gkePrimary ? ["primary-cluster"] : [])]);
    const pools = mocks().ofType("gcp:container/nodePool:NodePool").map((p) => p.name).sort();
    // a GKE burst cluster: the worker pool (scales from 0) and the one-node system pool
    expect(pools).toEqual([...(want.gkeBurst ? ["burst-nodes", "burst-system-nodes"] : []), ...(want.gkePrimary ? ["primary-nodes"] : [])]);
    // one Kubernetes provider per cluster, each kubeconfig passed as a secret
    const providers = mocks().ofType("pulumi:providers:kubernetes");
    expect(providers.map((p) => p.name).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const p of providers) expect({ provider: p.name, secret: isSecretInput(p.inputs.kubeconfig) }).toEqual({ provider: p.name, secret: true });
  });

  it("gives each GKE cluster its own subnet of the stack's own network, and makes no network without one", () => {
    const subnets = mocks().ofType("gcp:compute/subnetwork:Subnetwork").map((x) => x.name).sort();
    expect(subnets).toEqual([...(want.gkeBurst ? ["mesh-network-burst"] : []), ...(want.gkePrimary ? ["mesh-network-primary"] : [])]);
    const networks = mocks().ofType("gcp:compute/network:Network");
    expect(networks.map((n) => n.inputs.autoCreateSubnetworks)).toEqual(subnets.length > 0 ? [false] : []);
    for (const c of mocks().ofType("gcp:container/cluster:Cluster")) {
      const role = c.name.replace(/-cluster$/, "");
      expect({ cluster: role, network: c.inputs.network, subnetwork: c.inputs.subnetwork }).toEqual({ cluster: role, network: "istio-burst-a1b2c3", subnetwork: `istio-burst-a1b2c3-${role}` });
    }
  });

  it("reserves the primary's east-west address only for a GKE primary: internal on one network, public on two", () => {
    const addresses = mocks().ofType("gcp:compute/address:Address").map((a) => a.inputs.addressType);
    expect(addresses).toEqual(want.gkePrimary ? [twoNetworks(shape) ? "EXTERNAL" : "INTERNAL"] : []);
    const primaryGateway = eastWestGateways(mocks()).find((g) => where(g) === "primary")!;
    expect(primaryGateway.inputs.values.service.loadBalancerIP).toBe(want.gkePrimary ? want.eastWestAddress : undefined);
    // the burst cluster's v1 Endpoints istiod exists where the address is an IP by construction
    expect(objects(mocks(), "Endpoints", "burst").map((e) => e.inputs.subsets[0].addresses)).toEqual(want.gkePrimary ? [[{ ip: want.eastWestAddress }]] : []);
  });

  it("opens the pod-range firewall only for a GKE pair on one network", () => {
    const rules = mocks().ofType("gcp:compute/firewall:Firewall");
    if (twoNetworks(shape)) expect(rules).toEqual([]);
    else expect([...rules[0].inputs.sourceRanges].sort()).toEqual([POD_RANGES.primary, POD_RANGES.burst].sort());
  });

  it("labels istio-system with each cluster's network, and sends the burst network in the injection path", () => {
    const ns = (side: "primary" | "burst") => object(mocks(), "Namespace", "istio-system", side).inputs.metadata;
    expect(ns("primary").labels).toEqual({ "topology.istio.io/network": want.primaryNetwork });
    expect(ns("burst").labels).toEqual({ "topology.istio.io/network": want.burstNetwork });
    expect(ns("burst").annotations).toEqual({ "topology.istio.io/controlPlaneClusters": "primary" });
    const istiod = (side: "primary" | "burst") => releases(mocks()).find((r) => r.inputs.chart === "istiod" && clusterOf(r) === side)!.inputs.values;
    expect(istiod("primary").global).toMatchObject({ network: want.primaryNetwork, multiCluster: { clusterName: "primary" }, externalIstiod: true });
    expect(istiod("burst").istiodRemote).toEqual({ injectionPath: `/inject/cluster/burst/net/${want.burstNetwork}` });
    expect(istiod("burst").global.remotePilotAddress).toBe(want.eastWestAddress);
  });

  it("puts an east-west gateway in the primary, and in burst too when the networks differ, each for its own network", () => {
    const gateways = eastWestGateways(mocks()).map((r) => `${where(r)}:${r.inputs.values.networkGateway}`).sort();
    expect(gateways).toEqual(
      twoNetworks(shape) ? [`burst:${want.burstNetwork}`, `primary:${want.primaryNetwork}`] : [`primary:${want.primaryNetwork}`],
    );
    for (const g of eastWestGateways(mocks())) expect({ name: g.inputs.name, chart: g.inputs.chart, ns: g.inputs.namespace }).toEqual({ name: "istio-eastwestgateway", chart: "gateway", ns: "istio-system" });
  });

  it("exposes the services across networks with one cross-network Gateway in the primary, only when the networks differ", () => {
    const crossNetwork = objects(mocks(), "Gateway").filter((g) => g.inputs.spec.servers.some((s: any) => s.port.number === 15443));
    if (!twoNetworks(shape)) {
      expect(crossNetwork).toEqual([]);
      return;
    }
    expect(crossNetwork.map(where)).toEqual(["primary"]);
    const gw = crossNetwork[0].inputs;
    expect(gw.metadata).toMatchObject({ name: "cross-network-gateway", namespace: "istio-system" });
    expect(gw.spec.servers).toEqual([{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }]);
    // it selects the east-west gateway pods of both clusters (istiod serves burst's gateway from the primary's config)
    for (const g of eastWestGateways(mocks())) expect(g.inputs.values.labels).toMatchObject(gw.spec.selector);
  });

  it("keeps the east-west gateways internal on one network and public, restricted to the configured ranges, on two", () => {
    for (const g of eastWestGateways(mocks())) {
      const service = g.inputs.values.service;
      expect(service.type).toBe("LoadBalancer");
      if (twoNetworks(shape)) {
        expect({ cluster: where(g), annotations: service.annotations, ranges: service.loadBalancerSourceRanges }).toEqual({
          cluster: where(g),
          annotations: {},
          ranges: EAST_WEST_SOURCE_RANGES,
        });
      } else {
        expect(service.annotations).toEqual({ "networking.gke.io/load-balancer-type": "Internal" });
        expect(service.loadBalancerSourceRanges).toBeUndefined();
      }
    }
  });

  it("passes TLS through the gateways and never terminates it", () => {
    const eastWestSelectors = eastWestGateways(mocks()).map((g) => g.inputs.values.labels.istio);
    const onEastWest = objects(mocks(), "Gateway").filter((g) => eastWestSelectors.includes(g.inputs.spec.selector?.istio));
    expect(onEastWest.length).toBe(twoNetworks(shape) ? 2 : 1);
    for (const gw of onEastWest)
      for (const server of gw.inputs.spec.servers) {
        expect(["PASSTHROUGH", "AUTO_PASSTHROUGH"]).toContain(server.tls?.mode);
        expect(server.tls.credentialName).toBeUndefined();
      }
    // the load balancers are plain L4 Services: no annotation that would make them terminate TLS
    for (const g of eastWestGateways(mocks()))
      for (const key of Object.keys(g.inputs.values.service.annotations)) expect(key).not.toMatch(/ssl|tls|cert|backend-protocol/i);
  });

  it("creates the remote secret in the primary from burst's API server (GKE's endpoint, or the kubeconfig's), CA and reader token", () => {
    const s = object(mocks(), "Secret", "istio-remote-secret-burst", "primary");
    expect(s.inputs.metadata).toMatchObject({ namespace: "istio-system", labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": "burst" } });
    expect(isSecretInput(s.inputs.stringData)).toBe(true);
    const kc = JSON.parse(plain(s.inputs.stringData).burst);
    const server = want.gkeBurst ? { server: "https://203.0.113.2", "certificate-authority-data": b64("ca-of-burst") } : { server: OWN_BURST_SERVER, "certificate-authority-data": OWN_BURST_CA };
    expect(kc.clusters).toEqual([{ name: "burst", cluster: server }]);
    expect(kc.users).toEqual([{ name: "burst", user: { token: READER_TOKEN } }]);
  });

  it("names one of the two cluster providers on every Kubernetes object", () => {
    for (const r of run().mocks.resources.filter((x) => x.type.startsWith("kubernetes:")))
      expect([r.name, providerName(r.provider)]).toEqual([r.name, expect.stringMatching(/^(primary|burst)-k8s$/)]);
  });

  it("has no 0.0.0.0/0 anywhere unless the config says so", () => {
    const open = mocks().resources.flatMap((r) => stringsIn(r.inputs).filter((v) => WORLD.test(v.trim())).map((v) => `${r.name}: ${v}`));
    expect(open).toEqual([]);
  });

  it("exports the addresses of the east-west gateways of the shape", async () => {
    expect(await valueOf(run().program.eastWestGatewayAddress)).toBe(want.eastWestAddress);
    const burst = run().program.burstEastWestGatewayAddress;
    if (twoNetworks(shape)) expect(await valueOf(burst)).toBe(BURST_EAST_WEST_IP);
    else expect(burst).toBeUndefined();
  });
});

describe("two networks: ordering", () => {
  it.each(["gkeTwoNetworks", "ownPrimary", "ownBurst", "ownClusters"] as Shape[])("%s: burst's east-west gateway waits for the remote secret, the burst workers for both gateways", (shape) => {
    // custom resources are registered once what they depend on is
    const order = runs[shape].mocks.resources.filter((r) => r.custom).map((r) => r.name);
    const at = (name: string) => {
      expect(order).toContain(name);
      return order.indexOf(name);
    };
    expect(at("burst-eastwestgateway")).toBeGreaterThan(at("remote-secret-remote-secret"));
    expect(at("hashr-burst-workers-deployment")).toBeGreaterThan(at("burst-eastwestgateway"));
    expect(at("hashr-burst-workers-deployment")).toBeGreaterThan(at("istio-primary-cross-network-gateway"));
  });
});

describe("an existing primary", () => {
  const run = () => runs.ownPrimary;

  it("runs the primary's part on the kubeconfig's provider: Istio, Prometheus, the app and the watcher", () => {
    const provider = run().mocks.get("pulumi:providers:kubernetes", "primary-k8s");
    expect(plain(provider.inputs.kubeconfig)).toBe(OWN_PRIMARY_KUBECONFIG);
    const onPrimary = releases(run().mocks).filter((r) => clusterOf(r) === "primary").map((r) => r.inputs.name).sort();
    expect(onPrimary).toEqual(["istio-base", "istio-eastwestgateway", "istio-ingressgateway", "istiod", "prometheus"]);
    const deployments = run().mocks.resources.filter((r) => isKubernetesObject(r) && r.inputs.kind === "Deployment");
    expect(deployments.map((d) => `${d.inputs.metadata.name}@${where(d)}`).sort()).toEqual(
      ["frontend-deployment@primary", "istio-watcher@primary", "redis-cache@primary", "worker-deployment@burst", "worker-deployment@primary"].sort(),
    );
  });

  it("uses the configured images and creates no registry and no builds", () => {
    expect(run().mocks.ofType("gcp:artifactregistry/repository:Repository")).toEqual([]);
    expect(run().mocks.ofType("docker-build:index:Image")).toEqual([]);
    const image = (name: string, side: "primary" | "burst") => object(run().mocks, "Deployment", name, side).inputs.spec.template.spec.containers[0].image;
    expect([image("frontend-deployment", "primary"), image("worker-deployment", "primary"), image("worker-deployment", "burst"), image("istio-watcher", "primary")]).toEqual([
      PULLABLE_IMAGES.frontend,
      PULLABLE_IMAGES.worker,
      PULLABLE_IMAGES.worker,
      PULLABLE_IMAGES.watcher,
    ]);
  });

  it("exports the kubeconfig's cluster name, the kubeconfig as a secret, and no firewall rule or registry", async () => {
    const p = run().program;
    expect(await valueOf(p.primaryClusterName)).toBe("onprem-1");
    expect(await isSecret(p.primaryKubeconfig)).toBe(true);
    expect(await valueOf(p.primaryKubeconfig)).toBe(OWN_PRIMARY_KUBECONFIG);
    expect(p.firewallRule).toBeUndefined();
    expect(p.registryUrl).toBeUndefined();
    expect(await valueOf(p.burstClusterName)).toMatch(/^burst-/);
  });

  it("keeps the kubeconfig's credentials out of every plain input and every output that is not secret", async () => {
    const leaks = run().mocks.resources.filter((r) => plainStringsIn(r.inputs).some((v) => v.includes(OWN_PRIMARY_TOKEN)));
    expect(leaks.map((r) => r.name)).toEqual([]);
    for (const [name, output] of Object.entries(run().program)) {
      if (output === undefined || (await isSecret(output as any))) continue;
      expect({ output: name, leaks: (JSON.stringify(await valueOf(output)) ?? "").includes(OWN_PRIMARY_TOKEN) }).toEqual({ output: name, leaks: false });
    }
  });
});

describe("0.0.0.0/0 only when configured", () => {
  it("puts an explicitly configured 0.0.0.0/0 on the east-west gateways' load balancers and nowhere else", async () => {
    const { mocks } = await runProgram({ ...SHAPES.ownPrimary, eastWestSourceRanges: "0.0.0.0/0" });
    const open = mocks.resources.filter((r) => stringsIn(r.inputs).some((v) => WORLD.test(v)));
    expect(open.map((r) => `${r.name}@${where(r)}`).sort()).toEqual(["burst-eastwestgateway@burst", "istio-primary-eastwestgateway@primary"]);
    for (const g of open) expect(g.inputs.values.service.loadBalancerSourceRanges).toEqual(["0.0.0.0/0"]);
  });

  it("keeps a GKE pair on two networks with internal gateways inside the VPC, with no ranges needed", async () => {
    const { mocks } = await runProgram({ burstNetwork: "network2", eastWestExposure: "internal" });
    const gateways = eastWestGateways(mocks);
    expect(gateways.map(where).sort()).toEqual(["burst", "primary"]);
    const internal = { type: "LoadBalancer", annotations: { "networking.gke.io/load-balancer-type": "Internal" } };
    for (const g of gateways) expect(g.inputs.values.service).toEqual(where(g) === "primary" ? { ...internal, loadBalancerIP: RESERVED_EAST_WEST_IPS.internal } : internal);
    expect(mocks.ofType("gcp:compute/address:Address").map((a) => a.inputs.addressType)).toEqual(["INTERNAL"]);
    expect(mocks.ofType("gcp:compute/firewall:Firewall")).toEqual([]);
  });

  it("opens public gateways on one network only to the configured ranges, with a reserved external address", async () => {
    const { mocks } = await runProgram({ eastWestExposure: "public", eastWestSourceRanges: EAST_WEST_SOURCE_RANGES.join(",") });
    const [gateway, ...others] = eastWestGateways(mocks);
    expect(others).toEqual([]);
    expect(gateway.inputs.values.service).toEqual({ type: "LoadBalancer", annotations: {}, loadBalancerIP: RESERVED_EAST_WEST_IPS.public, loadBalancerSourceRanges: EAST_WEST_SOURCE_RANGES });
    // the pods still reach each other directly through the firewall rule
    expect(mocks.ofType("gcp:compute/firewall:Firewall")).toHaveLength(1);
    expect(mocks.resources.filter((r) => stringsIn(r.inputs).some((v) => WORLD.test(v.trim())))).toEqual([]);
  });
});

describe("an existing burst cluster", () => {
  it("runs the burst cluster's part on the kubeconfig's provider", () => {
    for (const shape of ["ownBurst", "ownClusters"] as Shape[]) {
      const provider = runs[shape].mocks.get("pulumi:providers:kubernetes", "burst-k8s");
      expect(plain(provider.inputs.kubeconfig)).toBe(OWN_BURST_KUBECONFIG);
      const onBurst = releases(runs[shape].mocks).filter((r) => clusterOf(r) === "burst").map((r) => r.inputs.name).sort();
      expect(onBurst).toEqual(["istio-base", "istio-eastwestgateway", "istiod"]);
    }
  });

  it("lets the burst workers run on any node of a cluster the stack did not make, and on the worker pool of its GKE cluster", () => {
    const placement = (shape: Shape) => {
      const spec = object(runs[shape].mocks, "Deployment", "worker-deployment", "burst").inputs.spec.template.spec;
      return { nodeSelector: spec.nodeSelector, tolerations: spec.tolerations };
    };
    expect(placement("ownBurst")).toEqual({ nodeSelector: undefined, tolerations: undefined });
    expect(placement("ownClusters")).toEqual({ nodeSelector: undefined, tolerations: undefined });
    expect(placement("gkeOneNetwork").nodeSelector).toEqual({ "istio-burst/pool": "burst-workers" });
  });

  it("pins the burst workers to a pool labelled and tainted as the stack's when burstWorkerPool says the cluster has one", async () => {
    const { mocks } = await runProgram({ ...SHAPES.ownBurst, burstWorkerPool: "true" });
    const spec = object(mocks, "Deployment", "worker-deployment", "burst").inputs.spec.template.spec;
    expect(spec.nodeSelector).toEqual({ "istio-burst/pool": "burst-workers" });
    expect(spec.tolerations).toEqual([{ key: "istio-burst/pool", operator: "Equal", value: "burst-workers", effect: "NoSchedule" }]);
  });

  it("gives the watcher's scaler a kubeconfig for the kubeconfig's API server", () => {
    const secret = object(runs.ownBurst.mocks, "Secret", "istio-watcher-burst-kubeconfig", "primary");
    expect(JSON.parse(plain(secret.inputs.stringData).kubeconfig).clusters).toEqual([{ name: "burst", cluster: { server: OWN_BURST_SERVER, "certificate-authority-data": OWN_BURST_CA } }]);
  });

  it("with both clusters and the Redis password given, creates no resource of any provider but Kubernetes, and exports no project or zone", async () => {
    const { mocks, program } = runs.ownClusters;
    const cloud = mocks.resources.filter((r) => /^(gcp|random|docker-build):|^pulumi:providers:(gcp|random|docker-build)$/.test(r.type));
    expect(cloud.map((r) => `${r.type}::${r.name}`)).toEqual([]);
    expect(program.project).toBeUndefined();
    expect(program.zone).toBeUndefined();
    expect(program.firewallRule).toBeUndefined();
    expect(program.registryUrl).toBeUndefined();
    expect(await valueOf(program.primaryClusterName)).toBe("onprem-1");
    expect(await valueOf(program.burstClusterName)).toBe("eks-burst");
    expect(await isSecret(program.burstKubeconfig)).toBe(true);
    expect(await valueOf(program.burstKubeconfig)).toBe(OWN_BURST_KUBECONFIG);
  });

  it("needs no Google Cloud config with both clusters given", async () => {
    const { mocks } = await runProgram({ ...SHAPES.ownClusters, "gcp:project": "" });
    expect(mocks.ofType("pulumi:providers:kubernetes").map((p) => p.name).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    expect(mocks.resources.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
  });

  it("keeps the burst kubeconfig's credentials out of every plain input and every output that is not secret", async () => {
    for (const shape of ["ownBurst", "ownClusters"] as Shape[]) {
      const leaks = runs[shape].mocks.resources.filter((r) => plainStringsIn(r.inputs).some((v) => v.includes(OWN_BURST_TOKEN)));
      expect(leaks.map((r) => r.name)).toEqual([]);
      for (const [name, output] of Object.entries(runs[shape].program)) {
        if (output === undefined || (await isSecret(output as any))) continue;
        expect({ output: name, leaks: (JSON.stringify(await valueOf(output)) ?? "").includes(OWN_BURST_TOKEN) }).toEqual({ output: name, leaks: false });
      }
    }
  });
});

describe("a Redis password given by the operator", () => {
  it("goes into both clusters' redis-credentials Secrets as a secret, and nothing generates one", () => {
    const { mocks } = runs.ownClusters;
    expect(mocks.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
    for (const side of ["primary", "burst"] as const) {
      const secret = object(mocks, "Secret", "redis-credentials", side);
      expect(isSecretInput(secret.inputs.stringData) || isSecretInput(secret.inputs.stringData?.password)).toBe(true);
      expect(plain(secret.inputs.stringData)).toEqual({ password: OWN_REDIS_PASSWORD, url: `redis://:${OWN_REDIS_PASSWORD}@redis-cache-service:6379` });
    }
    const leaks = mocks.resources.filter((r) => plainStringsIn(r.inputs).some((v) => v.includes(OWN_REDIS_PASSWORD)));
    expect(leaks.map((r) => r.name)).toEqual([]);
  });

  it("is generated once by @pulumi/random when not given", () => {
    expect(runs.ownBurst.mocks.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual(["hashr-redis-credentials-password"]);
  });
});
