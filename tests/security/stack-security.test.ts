/**
 * The security properties of the whole stack, asserted over everything index.ts registers (both GKE
 * clusters, Istio, the app, the watcher) under the Pulumi mocks: the one place they are all checked
 * on the composed program rather than per component. docs/security.md lists them.
 *
 * What it cannot see: objects the Helm charts (Istio, Prometheus) render inside the cluster; their
 * values are checked where they matter (the gateways' Services).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  EAST_WEST_IP,
  EAST_WEST_SOURCE_RANGES,
  OWN_PRIMARY_TOKEN,
  SHAPES,
  runProgram,
  INGRESS_IP,
  POD_RANGES,
  READER_TOKEN,
  SCALER_TOKEN,
  TEST_PASSWORD as PASSWORD,
  TEST_PROJECT,
  b64,
  expectRestrictedContainer,
  freshMocks,
  isSecret,
  isSecretInput,
  plain,
  plainStringsIn,
  providerName,
  settleAll,
  stringsIn,
  valueOf,
  type PulumiMocks,
  type RecordedResource,
} from "../helpers/pulumi";

interface Captured {
  redisCredentials: { password: pulumi.Output<string>; url: pulumi.Output<string> }[];
  remoteSecrets: { kubeconfig: pulumi.Output<string> }[];
  burstScalers: { kubeconfig: pulumi.Output<string> }[];
}

/**
 * Runs index.ts afresh under mocks (like runProgram in tests/helpers/pulumi.ts), with the
 * secret-carrying components recorded as they are constructed, so that their Outputs can be checked
 * too (index.ts does not export them).
 */
async function runWholeProgram(): Promise<{ mocks: PulumiMocks; program: Record<string, any>; captured: Captured }> {
  const mocks = freshMocks();
  const captured: Captured = { redisCredentials: [], remoteSecrets: [], burstScalers: [] };
  let program!: Record<string, any>;
  jest.isolateModules(() => {
    const redis = require("../../apps/stack/redis");
    const Credentials = redis.RedisCredentials;
    redis.RedisCredentials = class extends Credentials {
      constructor(...args: unknown[]) {
        super(...args);
        captured.redisCredentials.push(this as unknown as Captured["redisCredentials"][number]);
      }
    };
    const remote = require("../../istio/remote-secret");
    const RemoteSecret = remote.RemoteSecret;
    remote.RemoteSecret = class extends RemoteSecret {
      constructor(...args: unknown[]) {
        super(...args);
        captured.remoteSecrets.push(this as unknown as Captured["remoteSecrets"][number]);
      }
    };
    const scaler = require("../../watcher/stack/burst-access");
    const BurstScalerAccess = scaler.BurstScalerAccess;
    scaler.BurstScalerAccess = class extends BurstScalerAccess {
      constructor(...args: unknown[]) {
        super(...args);
        captured.burstScalers.push(this as unknown as Captured["burstScalers"][number]);
      }
    };
    program = require("../../index");
  });
  await settleAll();
  return { mocks, program, captured };
}

let mocks: PulumiMocks;
let program: Record<string, any>;
let captured: Captured;

beforeAll(async () => {
  ({ mocks, program, captured } = await runWholeProgram());
});

/** Kubernetes objects declared by the program (not reads of existing ones, which have no kind). */
const k8sObjects = () => mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind);
const ofKind = (kind: string) => k8sObjects().filter((r) => r.inputs.kind === kind);
const cluster = (r: RecordedResource) => providerName(r.provider);
const describe_ = (r: RecordedResource) => `${r.inputs.kind ?? r.type}/${r.inputs.metadata?.name ?? r.name}@${cluster(r)}`;

/** Service accounts of Istio's control plane and gateways (and Kubernetes' own): never the watcher's, never bound by the stack. */
const ISTIO_ACCOUNTS = /^(istiod(-.*)?|istio-reader-service-account|istio-(ingress|eastwest)gateway(-.*)?|default)$|^system:/;

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

/** A Role's grants as `group/resource/verb[@names]`, after checking it has no wildcard and no non-resource URL. */
function grantsOf(role: RecordedResource): string[] {
  const rules = role.inputs.rules as Rule[];
  for (const rule of rules) {
    for (const field of ["apiGroups", "resources", "verbs", "resourceNames"] as const) {
      for (const v of rule[field] ?? []) expect(v).not.toMatch(/\*/);
    }
    expect(rule.nonResourceURLs).toBeUndefined();
  }
  return rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}/${v}${r.resourceNames ? `@${r.resourceNames.join("+")}` : ""}`)))).sort();
}

describe("whole stack: the watcher's RBAC is least privilege", () => {
  const watcherDeployment = () => ofKind("Deployment").find((d) => d.inputs.metadata.name === "istio-watcher")!;

  it("runs the watcher under its own ServiceAccount, in the primary cluster only", () => {
    const deployments = ofKind("Deployment").filter((d) => d.inputs.metadata.name === "istio-watcher");
    expect(deployments.map(cluster)).toEqual(["primary-k8s"]);
    const sa = watcherDeployment().inputs.spec.template.spec.serviceAccountName;
    expect(sa).toBe("istio-watcher");
    // the frontend's account is only its mesh identity (the watcher's AuthorizationPolicy names it): no token, no binding
    // the watcher's scaler account in burst only identifies the watcher's kubeconfig: no pod runs as it
    expect(ofKind("ServiceAccount").map(describe_).sort()).toEqual([
      "ServiceAccount/frontend@primary-k8s",
      "ServiceAccount/istio-watcher-scaler@burst-k8s",
      "ServiceAccount/istio-watcher@primary-k8s",
    ]);
    const frontendSa = ofKind("ServiceAccount").find((a) => a.inputs.metadata.name === "frontend")!;
    expect(frontendSa.inputs.automountServiceAccountToken).toBe(false);
    const scalerSa = ofKind("ServiceAccount").find((a) => a.inputs.metadata.name === "istio-watcher-scaler")!;
    expect(scalerSa.inputs.automountServiceAccountToken).toBe(false);
    for (const d of ofKind("Deployment")) expect(d.inputs.spec.template.spec.serviceAccountName).not.toBe("istio-watcher-scaler");
    // not one of Istio's accounts, and no other pod runs as it or gets an API token at all
    expect(sa).not.toMatch(ISTIO_ACCOUNTS);
    const expectedSa: Record<string, string | undefined> = { "frontend-deployment": "frontend" };
    for (const d of ofKind("Deployment").filter((x) => x !== watcherDeployment())) {
      const pod = d.inputs.spec.template.spec;
      const want = expectedSa[d.inputs.metadata.name];
      expect({ d: describe_(d), sa: pod.serviceAccountName, token: pod.automountServiceAccountToken }).toEqual({ d: describe_(d), sa: want, token: false });
    }
  });

  it("declares no ClusterRole or ClusterRoleBinding anywhere", () => {
    const clusterScoped = mocks.resources.filter((r) => /:ClusterRole(Binding)?$/.test(r.type) || ["ClusterRole", "ClusterRoleBinding"].includes(r.inputs.kind));
    expect(clusterScoped.map(describe_)).toEqual([]);
  });

  it("binds the watcher's account to one namespaced Role, and to nothing else; binds no Istio account", async () => {
    const bindings = ofKind("RoleBinding");
    expect(bindings.map(describe_).sort()).toEqual(["RoleBinding/istio-watcher-scaler@burst-k8s", "RoleBinding/istio-watcher@primary-k8s"]);
    const binding = bindings.find((b) => cluster(b) === "primary-k8s")!;
    const ns = await valueOf<string>(program.appNamespace);
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istio-watcher", namespace: ns }]);
    expect(binding.inputs.metadata.namespace).toBe(ns);
    expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "istio-watcher" });
    for (const b of mocks.resources.filter((r) => /Binding$/.test(r.inputs.kind ?? ""))) {
      for (const s of b.inputs.subjects ?? []) {
        expect({ binding: describe_(b), subject: s.name }).not.toEqual({ binding: describe_(b), subject: expect.stringMatching(ISTIO_ACCOUNTS) });
        expect(s.namespace).not.toBe("istio-system");
        expect(s.kind).toBe("ServiceAccount");
      }
    }
  });

  it("lets that Role only get and patch the one worker VirtualService, create Events, and hold the watchers' Lease: no wildcards", async () => {
    const roles = ofKind("Role");
    expect(roles.map(describe_).sort()).toEqual(["Role/istio-watcher-scaler@burst-k8s", "Role/istio-watcher@primary-k8s"]);
    const grants = grantsOf(roles.find((r) => cluster(r) === "primary-k8s")!);
    const vs = await valueOf<string>(program.workerVirtualService);
    // the Lease of the leader election (2 watchers by default): get/update on its name, create (which RBAC cannot limit by name)
    const lease = "istio-watcher-leader";
    expect(grants.sort()).toEqual(
      [
        "core/events/create",
        `networking.istio.io/virtualservices/get@${vs}`,
        `networking.istio.io/virtualservices/patch@${vs}`,
        "coordination.k8s.io/leases/create",
        `coordination.k8s.io/leases/get@${lease}`,
        `coordination.k8s.io/leases/update@${lease}`,
      ].sort(),
    );
    expect(watcherDeployment().inputs.spec.replicas).toBe(2);
    expect(ofKind("PodDisruptionBudget").map(describe_)).toEqual(["PodDisruptionBudget/istio-watcher@primary-k8s"]);
    // and that name is the VirtualService the stack routes the workers with, and the one the watcher is told to patch
    expect(ofKind("VirtualService").filter((v) => v.inputs.metadata.name === vs)).toHaveLength(1);
    const env = Object.fromEntries((watcherDeployment().inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.VIRTUAL_SERVICE).toBe(vs);
    expect(env.LEASE_NAME).toBe(lease);
  });
});

describe("whole stack: the watcher's scaler may only read and scale the burst worker Deployment", () => {
  it("binds the scaler account, in the app namespace of the burst cluster, to its one Role", async () => {
    const ns = await valueOf<string>(program.appNamespace);
    const binding = ofKind("RoleBinding").find((b) => cluster(b) === "burst-k8s")!;
    expect(binding.inputs.metadata.namespace).toBe(ns);
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istio-watcher-scaler", namespace: ns }]);
    expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "istio-watcher-scaler" });
    const role = ofKind("Role").find((r) => cluster(r) === "burst-k8s")!;
    expect(role.inputs.metadata.namespace).toBe(ns);
  });

  it("grants exactly get and patch on deployments/scale and get on deployments, of worker-deployment only: no wildcards", () => {
    const role = ofKind("Role").find((r) => cluster(r) === "burst-k8s")!;
    expect(grantsOf(role)).toEqual(["apps/deployments/get@worker-deployment", "apps/deployments/scale/get@worker-deployment", "apps/deployments/scale/patch@worker-deployment"].sort());
    // that name is the burst worker Deployment, and the one the watcher is told to scale
    expect(ofKind("Deployment").filter((d) => cluster(d) === "burst-k8s").map((d) => d.inputs.metadata.name)).toEqual(["worker-deployment"]);
    const env = Object.fromEntries((ofKind("Deployment").find((d) => d.inputs.metadata.name === "istio-watcher")!.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.BURST_DEPLOYMENT).toBe("worker-deployment");
  });

  it("gives the account a token Secret in burst and nothing else; the token reaches primary only inside the kubeconfig Secret", () => {
    const token = ofKind("Secret").find((s) => s.inputs.type === "kubernetes.io/service-account-token" && cluster(s) === "burst-k8s" && s.inputs.metadata.name === "istio-watcher-scaler-token")!;
    expect(token.inputs.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "istio-watcher-scaler" });
    const holders = mocks.resources.filter((r) => stringsIn(r.inputs).some((v) => v.includes(SCALER_TOKEN)));
    expect(holders.map(describe_)).toEqual(["Secret/istio-watcher-burst-kubeconfig@primary-k8s"]);
  });
});

describe("whole stack: inside the mesh, only the frontend reaches the watcher, and only GET /status", () => {
  const watcherPods = () => ofKind("Deployment").find((d) => d.inputs.metadata.name === "istio-watcher")!;
  const frontendPods = () => ofKind("Deployment").find((d) => d.inputs.metadata.name === "frontend-deployment")!;
  const selects = (selector: Record<string, string>, d: RecordedResource) => Object.entries(selector).every(([k, v]) => d.inputs.spec.template.metadata.labels[k] === v);

  it("puts one ALLOW AuthorizationPolicy on the watcher's pods, and on no other pod", async () => {
    const policies = ofKind("AuthorizationPolicy");
    expect(policies.map(describe_)).toEqual(["AuthorizationPolicy/istio-watcher@primary-k8s"]);
    const [policy] = policies;
    expect(policy.type).toBe("kubernetes:security.istio.io/v1:AuthorizationPolicy");
    expect(policy.inputs.metadata.namespace).toBe(await valueOf<string>(program.appNamespace));
    expect(policy.inputs.spec.action).toBe("ALLOW");
    const selector = policy.inputs.spec.selector.matchLabels;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(ofKind("Deployment").filter((d) => selects(selector, d)).map(describe_)).toEqual([describe_(watcherPods())]);
    expect(policy.inputs.spec.targetRef ?? policy.inputs.spec.targetRefs).toBeUndefined();
  });

  it("allows exactly one request: GET /status on the watcher's port, from the frontend pods' ServiceAccount in their namespace", async () => {
    const [policy] = ofKind("AuthorizationPolicy");
    const ns = await valueOf<string>(program.appNamespace);
    const frontendSa = frontendPods().inputs.spec.template.spec.serviceAccountName;
    expect(frontendSa).toBe("frontend");
    expect(frontendPods().inputs.metadata.namespace).toBe(ns);
    expect(policy.inputs.spec.rules).toEqual([
      {
        from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/${frontendSa}`] } }],
        to: [{ operation: { methods: ["GET"], paths: ["/status"], ports: [String(watcherPods().inputs.spec.template.spec.containers[0].ports[0].containerPort)] } }],
      },
    ]);
    // the stack keeps Istio's default trust domain, which that principal names
    const istiod = mocks.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "istiod")!;
    expect(istiod.inputs.values?.meshConfig?.trustDomain ?? istiod.inputs.values?.global?.trustDomain ?? "cluster.local").toBe("cluster.local");
    // and the frontend is told that Service: http://istio-watcher -> /status
    const env = Object.fromEntries((frontendPods().inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.WATCHER_URL).toBe("http://istio-watcher");
  });

  it("leaves the kubelet's probes and Prometheus' scrapes outside the policy: rewritten to the sidecar agent, never turned off", () => {
    const template = watcherPods().inputs.spec.template;
    const annotations: Record<string, string> = template.metadata.annotations ?? {};
    expect(annotations["sidecar.istio.io/rewriteAppHTTPProbers"]).toBeUndefined();
    expect(annotations["prometheus.istio.io/merge-metrics"]).toBeUndefined();
    expect(annotations["sidecar.istio.io/inject"]).toBeUndefined();
    for (const key of Object.keys(annotations)) expect(key).not.toMatch(/^traffic\.sidecar\.istio\.io\//);
    // and Istio's own values do not turn the rewrite or the merge off for the mesh
    const istiod = mocks.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "istiod")!;
    expect(istiod.inputs.values?.sidecarInjectorWebhook?.rewriteAppHTTPProbe ?? true).toBe(true);
    expect(istiod.inputs.values?.meshConfig?.enablePrometheusMerge ?? true).toBe(true);
    const [c] = template.spec.containers;
    expect([c.readinessProbe.httpGet?.port, c.livenessProbe.tcpSocket?.port]).toEqual([8082, 8082]);
  });

  it("exposes the watcher through no gateway: its Service is ClusterIP and no gateway-bound route reaches it", () => {
    const svc = ofKind("Service").find((s) => s.inputs.metadata.name === "istio-watcher")!;
    expect(svc.inputs.spec.type).toBe("ClusterIP");
    expect(svc.inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: 8082, protocol: "TCP" }]);
    for (const vs of ofKind("VirtualService")) {
      const hosts = [...(vs.inputs.spec.hosts ?? []), ...["http", "tcp", "tls"].flatMap((k) => (vs.inputs.spec[k] ?? []).flatMap((r: { route?: { destination: { host: string } }[] }) => (r.route ?? []).map((d) => d.destination.host)))];
      expect({ vs: describe_(vs), watcher: hosts.filter((h: unknown) => typeof h === "string" && h.includes("istio-watcher")) }).toEqual({ vs: describe_(vs), watcher: [] });
    }
  });
});

describe("whole stack: secrets travel only as Pulumi secrets", () => {
  it("exports both kubeconfigs as secrets, and hands them to the Kubernetes providers as secrets", async () => {
    expect(await isSecret(program.primaryKubeconfig)).toBe(true);
    expect(await isSecret(program.burstKubeconfig)).toBe(true);
    const providers = mocks.ofType("pulumi:providers:kubernetes");
    expect(providers.map((p) => p.name).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const p of providers) expect({ provider: p.name, secret: isSecretInput(p.inputs.kubeconfig) }).toEqual({ provider: p.name, secret: true });
  });

  it("keeps the remote secret (istiod's token kubeconfig for the burst cluster) secret, and its token out of plain inputs", async () => {
    const remote = ofKind("Secret").filter((s) => s.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
    expect(remote.map(describe_)).toEqual(["Secret/istio-remote-secret-burst@primary-k8s"]);
    expect(isSecretInput(remote[0].inputs.stringData)).toBe(true);
    expect(remote[0].inputs.data).toBeUndefined();
    expect(JSON.stringify(plain(remote[0].inputs.stringData))).toContain(READER_TOKEN);
    expect(captured.remoteSecrets).toHaveLength(1);
    expect(await isSecret(captured.remoteSecrets[0].kubeconfig)).toBe(true);
    const leaks = mocks.resources.filter((r) => plainStringsIn(r.inputs).some((v) => v.includes(READER_TOKEN)));
    expect(leaks.map(describe_)).toEqual([]);
  });

  it("keeps the Redis password and URL secret: as Outputs, in both clusters' Secrets, and out of every other input", async () => {
    expect(captured.redisCredentials).toHaveLength(1);
    const [creds] = captured.redisCredentials;
    expect(await isSecret(creds.password)).toBe(true);
    expect(await isSecret(creds.url)).toBe(true);
    expect(await valueOf(creds.password)).toBe(PASSWORD);

    const redisSecrets = ofKind("Secret").filter((s) => s.inputs.metadata?.name === "redis-credentials");
    expect(redisSecrets.map(cluster).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const s of redisSecrets) {
      expect(isSecretInput(s.inputs.stringData)).toBe(true);
      expect(s.inputs.data).toBeUndefined();
      expect(plain(s.inputs.stringData)).toEqual({ password: PASSWORD, url: `redis://:${PASSWORD}@redis-cache-service:6379` });
    }
  });

  it("keeps the watcher's burst kubeconfig secret: a Pulumi secret, one Secret in primary, mounted only into the watcher, read-only", async () => {
    expect(captured.burstScalers).toHaveLength(1);
    expect(await isSecret(captured.burstScalers[0].kubeconfig)).toBe(true);
    const secrets = ofKind("Secret").filter((s) => JSON.stringify(plain(s.inputs.stringData ?? {})).includes(SCALER_TOKEN));
    expect(secrets.map(describe_)).toEqual(["Secret/istio-watcher-burst-kubeconfig@primary-k8s"]);
    const [secret] = secrets;
    expect(isSecretInput(secret.inputs.stringData)).toBe(true);
    expect(secret.inputs.data).toBeUndefined();
    const kubeconfig = JSON.parse(plain(secret.inputs.stringData).kubeconfig);
    expect(kubeconfig.users[0].user).toEqual({ token: SCALER_TOKEN });
    expect(kubeconfig.clusters[0].cluster.server).toBe("https://203.0.113.2");
    // which pods mount it, or read it through env: the watcher only
    const uses = ofKind("Deployment").filter((d) => {
      const pod = d.inputs.spec.template.spec;
      const volumes = (pod.volumes ?? []).filter((v: any) => v.secret?.secretName === "istio-watcher-burst-kubeconfig" || (v.projected?.sources ?? []).some((s: any) => s.secret?.name === "istio-watcher-burst-kubeconfig"));
      const envRefs = pod.containers.flatMap((c: any) => [...(c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e: any) => e.secretRef?.name)]);
      return volumes.length > 0 || envRefs.includes("istio-watcher-burst-kubeconfig");
    });
    expect(uses.map(describe_)).toEqual(["Deployment/istio-watcher@primary-k8s"]);
    const pod = uses[0].inputs.spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.secret?.secretName === "istio-watcher-burst-kubeconfig");
    for (const c of pod.containers)
      for (const m of (c.volumeMounts ?? []).filter((x: any) => x.name === volume.name)) expect({ container: c.name, readOnly: m.readOnly }).toEqual({ container: c.name, readOnly: true });
  });

  it("lets no plaintext secret appear in any recorded input outside a secret, nor in the stack outputs", async () => {
    const needles = [PASSWORD, b64(PASSWORD), READER_TOKEN, b64(READER_TOKEN), SCALER_TOKEN, b64(SCALER_TOKEN)];
    const leaks = mocks.resources.flatMap((r) => plainStringsIn(r.inputs).filter((v) => needles.some((n) => v.includes(n))).map((v) => `${describe_(r)}: ${v.slice(0, 80)}`));
    expect(leaks).toEqual([]);
    // the password is not even inside a secret anywhere but the Redis Secrets
    const holders = mocks.resources.filter((r) => stringsIn(r.inputs).some((v) => v.includes(PASSWORD)));
    expect(holders.map(describe_).sort()).toEqual(["Secret/redis-credentials@burst-k8s", "Secret/redis-credentials@primary-k8s"]);
    // stack outputs: nothing secret among the values that are not themselves secret
    for (const [name, output] of Object.entries(program)) {
      if (output === undefined || (pulumi.Output.isInstance(output) && (await isSecret(output)))) continue;
      const text = JSON.stringify(await valueOf(output)) ?? "";
      expect({ output: name, leaks: needles.filter((n) => text.includes(n)) }).toEqual({ output: name, leaks: [] });
    }
  });

  it("gives every pod its Redis credentials through secretKeyRef, never as a literal env value", () => {
    for (const d of ofKind("Deployment")) {
      for (const c of d.inputs.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          if (/REDIS_URL|REDIS_PASSWORD|REDISCLI_AUTH/.test(e.name)) {
            expect({ pod: describe_(d), env: e.name, ref: e.valueFrom?.secretKeyRef?.name }).toEqual({ pod: describe_(d), env: e.name, ref: "redis-credentials" });
            expect(e.value).toBeUndefined();
          }
          expect(String(e.value ?? "")).not.toMatch(/redis:\/\/[^@/]*:[^@/]+@/);
        }
      }
    }
    // and Redis itself requires that password
    const redis = ofKind("Deployment").find((d) => d.inputs.metadata.name === "redis-cache")!;
    expect(redis.inputs.spec.template.spec.containers[0].args.join(" ")).toContain("--requirepass $(REDIS_PASSWORD)");
  });
});

describe("whole stack: the firewall opens only the pod ranges", () => {
  const WORLD = /^(0\.0\.0\.0\/0|::\/0)$/;

  it("has one rule, from exactly the two clusters' pod ranges to the clusters' nodes", () => {
    const rules = mocks.ofType("gcp:compute/firewall:Firewall");
    expect(rules).toHaveLength(1);
    const rule = rules[0].inputs;
    expect(rule.direction).toBe("INGRESS");
    expect([...rule.sourceRanges].sort()).toEqual([POD_RANGES.primary, POD_RANGES.burst].sort());
    expect(rule.sourceTags).toBeUndefined();
    expect(rule.targetTags).toHaveLength(2);
    for (const t of rule.targetTags) expect(t).toMatch(/^istio-burst-(primary|burst)-/);
  });

  it("has no 0.0.0.0/0 or ::/0 anywhere in any firewall", () => {
    const firewalls = mocks.resources.filter((r) => /firewall/i.test(r.type));
    expect(firewalls.length).toBeGreaterThan(0);
    for (const f of firewalls) {
      const open = stringsIn(f.inputs).filter((v) => WORLD.test(v.trim()));
      expect({ firewall: f.name, open }).toEqual({ firewall: f.name, open: [] });
    }
  });
});

describe("whole stack: every pod is non-root, read-only, without privilege escalation", () => {
  it("covers every workload: Deployments only, in both clusters", () => {
    const workloads = k8sObjects().filter((r) => ["Pod", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Deployment"].includes(r.inputs.kind));
    expect(workloads.every((w) => w.inputs.kind === "Deployment")).toBe(true);
    expect(workloads.map(describe_).sort()).toEqual(
      [
        "Deployment/frontend-deployment@primary-k8s",
        "Deployment/istio-watcher@primary-k8s",
        "Deployment/redis-cache@primary-k8s",
        "Deployment/worker-deployment@burst-k8s",
        "Deployment/worker-deployment@primary-k8s",
      ].sort(),
    );
  });

  it.each(["primary-k8s", "burst-k8s"])("in %s: runAsNonRoot with a non-zero uid, read-only root, no escalation, no capabilities, no host access", (where) => {
    const deployments = ofKind("Deployment").filter((d) => cluster(d) === where);
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const pod = d.inputs.spec.template.spec;
      expect({ pod: describe_(d), runAsNonRoot: pod.securityContext?.runAsNonRoot }).toEqual({ pod: describe_(d), runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const hostField of ["hostNetwork", "hostPID", "hostIPC"]) expect(pod[hostField] ?? false).toBe(false);
      for (const v of pod.volumes ?? []) expect({ pod: describe_(d), volume: v.name, hostPath: v.hostPath }).toEqual({ pod: describe_(d), volume: v.name, hostPath: undefined });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expectRestrictedContainer(c, pod);
        for (const p of c.ports ?? []) expect(p.hostPort).toBeUndefined();
      }
    }
  });
});

describe("whole stack: Redis is reachable only inside the mesh", () => {
  it("is a ClusterIP Service in both clusters: no LoadBalancer, NodePort or external IPs", () => {
    const redis = ofKind("Service").filter((s) => s.inputs.metadata.name === "redis-cache-service");
    expect(redis.map(cluster).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const s of redis) {
      expect(s.inputs.spec.type).toBe("ClusterIP");
      expect(s.inputs.spec.externalIPs).toBeUndefined();
      expect(s.inputs.spec.loadBalancerIP).toBeUndefined();
      for (const p of s.inputs.spec.ports) expect(p.nodePort).toBeUndefined();
    }
    // no Service the program declares is exposed outside its cluster
    for (const s of ofKind("Service")) expect({ svc: describe_(s), type: s.inputs.spec.type ?? "ClusterIP" }).toEqual({ svc: describe_(s), type: "ClusterIP" });
  });

  it("is routed only by the TCP in-mesh route: no Gateway listens on its port, no gateway-bound route reaches it", () => {
    const isRedisHost = (h: unknown) => typeof h === "string" && /redis/.test(h);
    for (const gw of ofKind("Gateway")) {
      for (const server of gw.inputs.spec.servers) {
        expect({ gateway: describe_(gw), port: server.port.number }).not.toEqual({ gateway: describe_(gw), port: 6379 });
        expect((server.hosts as string[]).filter(isRedisHost)).toEqual([]);
      }
    }
    const routesToRedis = ofKind("VirtualService").filter((vs) => {
      const spec = vs.inputs.spec;
      const destinations = ["http", "tcp", "tls"].flatMap((k) => (spec[k] ?? []).flatMap((r: { route?: { destination: { host: string } }[] }) => (r.route ?? []).map((d) => d.destination.host)));
      return destinations.some(isRedisHost) || (spec.hosts as string[]).some(isRedisHost);
    });
    expect(routesToRedis.map(describe_)).toEqual(["VirtualService/redis-virtual-service@primary-k8s"]);
    const [route] = routesToRedis;
    expect(route.inputs.spec.gateways).toEqual(["mesh"]);
    expect(route.inputs.spec.http).toBeUndefined();
    expect(route.inputs.spec.tls).toBeUndefined();
    expect(route.inputs.spec.tcp).toHaveLength(1);
    // every route bound to a real gateway goes somewhere else
    for (const vs of ofKind("VirtualService").filter((v) => (v.inputs.spec.gateways ?? []).some((g: string) => g !== "mesh"))) {
      const hosts = ["http", "tcp", "tls"].flatMap((k) => (vs.inputs.spec[k] ?? []).flatMap((r: { route?: { destination: { host: string } }[] }) => (r.route ?? []).map((d) => d.destination.host)));
      expect({ vs: describe_(vs), redis: hosts.filter(isRedisHost) }).toEqual({ vs: describe_(vs), redis: [] });
    }
  });

  it("leaves the gateways' load balancers without Redis: the ingress serves HTTP to the frontend, the east-west one is internal", () => {
    const releases = mocks.ofType("kubernetes:helm.sh/v3:Release");
    const gateways = releases.filter((r) => r.inputs.chart === "gateway" || /gateway/.test(r.name));
    expect(gateways.map((g) => g.inputs.name).sort()).toEqual(["istio-eastwestgateway", "istio-ingressgateway"]);
    for (const g of gateways) {
      const ports = (g.inputs.values?.service?.ports ?? []) as { port: number; targetPort?: number }[];
      expect(ports.filter((p) => p.port === 6379 || p.targetPort === 6379)).toEqual([]);
    }
    const eastWest = gateways.find((g) => g.inputs.name === "istio-eastwestgateway")!;
    expect(eastWest.inputs.values.service.annotations).toEqual({ "networking.gke.io/load-balancer-type": "Internal" });
    const frontendGateway = ofKind("Gateway").find((g) => g.inputs.metadata.name === "frontend-gateway")!;
    expect(frontendGateway.inputs.spec.servers.map((s: { port: { number: number; protocol: string } }) => `${s.port.protocol}/${s.port.number}`)).toEqual(["HTTP/80"]);
    const ingressRoutes = ofKind("VirtualService").filter((v) => (v.inputs.spec.gateways ?? []).includes("frontend-gateway"));
    const targets = ingressRoutes.flatMap((v) => v.inputs.spec.http.flatMap((h: { route: { destination: { host: string } }[] }) => h.route.map((d) => d.destination.host)));
    expect(targets).toEqual([expect.stringMatching(/^frontend-service\./)]);
    expect(ingressRoutes.every((v) => v.inputs.spec.tcp === undefined && v.inputs.spec.tls === undefined)).toBe(true);
    // the mocks' addresses are what the outputs carry; nothing else is published
    expect(INGRESS_IP).not.toBe(EAST_WEST_IP);
  });
});

describe("whole stack: mutual TLS is STRICT", () => {
  it("requires STRICT mTLS for the whole app namespace, with no exceptions anywhere", async () => {
    const pas = ofKind("PeerAuthentication");
    const ns = await valueOf<string>(program.appNamespace);
    const strict = pas.filter((p) => p.inputs.metadata.namespace === ns && p.inputs.spec?.selector === undefined);
    expect(strict).toHaveLength(1);
    expect(cluster(strict[0])).toBe("primary-k8s"); // the config cluster: istiod pushes it to the sidecars of both clusters
    for (const p of pas) {
      expect({ pa: describe_(p), mode: p.inputs.spec.mtls?.mode }).toEqual({ pa: describe_(p), mode: "STRICT" });
      expect(p.inputs.spec.portLevelMtls).toBeUndefined();
    }
    // no DestinationRule turns client-side TLS off
    for (const dr of ofKind("DestinationRule")) expect(JSON.stringify(dr.inputs.spec)).not.toMatch(/"mode":"(DISABLE|SIMPLE)"/);
  });
});

describe("whole stack: the GKE clusters", () => {
  const clusters = () => mocks.ofType("gcp:container/cluster:Cluster");

  it("are two, with workload identity, no legacy ABAC, no basic auth or client certificate, and deletion protection off", () => {
    expect(clusters().map((c) => c.name).sort()).toEqual(["burst-cluster", "primary-cluster"]);
    for (const c of clusters()) {
      const i = c.inputs;
      expect({ cluster: c.name, workloadPool: i.workloadIdentityConfig?.workloadPool }).toEqual({ cluster: c.name, workloadPool: `${TEST_PROJECT}.svc.id.goog` });
      expect(i.enableLegacyAbac ?? false).toBe(false);
      expect(i.masterAuth?.username).toBeUndefined();
      expect(i.masterAuth?.password).toBeUndefined();
      expect(i.masterAuth?.clientCertificateConfig?.issueClientCertificate ?? false).toBe(false);
      expect(i.deletionProtection).toBe(false);
      expect(i.enableShieldedNodes ?? true).toBe(true);
    }
  });

  it("run nodes on a dedicated service account with the GKE metadata server (workload identity on the nodes)", () => {
    const pools = mocks.ofType("gcp:container/nodePool:NodePool");
    expect(pools.map((p) => p.name).sort()).toEqual(["burst-nodes", "burst-system-nodes", "primary-nodes"]);
    for (const p of pools) {
      const node = p.inputs.nodeConfig;
      expect(node.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
      expect(node.serviceAccount).toMatch(/^gke-nodes-[a-z0-9]+@.+\.iam\.gserviceaccount\.com$/);
      expect(node.shieldedInstanceConfig).toMatchObject({ enableSecureBoot: true, enableIntegrityMonitoring: true });
    }
    // that account is granted no broad project role
    const grants = mocks.resources.filter((r) => /IAMMember|IAMBinding|IAMPolicy/i.test(r.type));
    for (const g of grants) expect({ grant: g.name, role: g.inputs.role }).not.toEqual({ grant: g.name, role: expect.stringMatching(/^roles\/(owner|editor|viewer|iam\.|resourcemanager\.)/) });
  });

  it("never run a node as the Compute Engine default service account: the initial default pool's nodes are the dedicated account's too", () => {
    const pools = mocks.ofType("gcp:container/nodePool:NodePool");
    const accounts = new Set(pools.map((p) => p.inputs.nodeConfig.serviceAccount));
    expect(accounts.size).toBe(1);
    for (const c of clusters()) {
      // a cluster without nodeConfig.serviceAccount starts its default pool as <number>-compute@developer.gserviceaccount.com
      expect({ cluster: c.name, account: c.inputs.nodeConfig?.serviceAccount }).toEqual({ cluster: c.name, account: [...accounts][0] });
      expect(c.inputs.nodeConfig.shieldedInstanceConfig).toMatchObject({ enableSecureBoot: true, enableIntegrityMonitoring: true });
    }
  });

  it("run in a network of the stack's own, whose only firewall rule it makes is the pod-range one", () => {
    const networks = mocks.ofType("gcp:compute/network:Network");
    expect(networks.map((n) => n.inputs.autoCreateSubnetworks)).toEqual([false]);
    for (const c of clusters()) expect({ cluster: c.name, network: c.inputs.network }).toEqual({ cluster: c.name, network: networks[0].inputs.name });
    expect(mocks.ofType("gcp:compute/firewall:Firewall").map((f) => f.inputs.network)).toEqual([networks[0].inputs.name]);
  });

  it("keep the primary's east-west address internal: reserved in the primary's subnet, never external by default", () => {
    const addresses = mocks.ofType("gcp:compute/address:Address");
    expect(addresses.map((a) => ({ type: a.inputs.addressType, subnet: a.inputs.subnetwork, tier: a.inputs.networkTier }))).toEqual([
      { type: "INTERNAL", subnet: "istio-burst-a1b2c3-primary", tier: undefined },
    ]);
  });
});

describe("whole stack on two networks, and with an existing primary", () => {
  const WORLD = /(^|[^0-9])0\.0\.0\.0\/0|^::\/0$/;
  const runs: Record<string, { mocks: PulumiMocks; program: Record<string, any> }> = {};
  beforeAll(async () => {
    runs.gkeTwoNetworks = await runProgram(SHAPES.gkeTwoNetworks);
    runs.ownPrimary = await runProgram(SHAPES.ownPrimary);
  });
  const gatewayReleases = (m: PulumiMocks) => m.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "gateway");

  it.each(["gkeTwoNetworks", "ownPrimary"])("%s: opens no pod-range firewall, and the public east-west gateways only to the configured ranges", (shape) => {
    const m = runs[shape].mocks;
    expect(m.resources.filter((r) => /firewall/i.test(r.type))).toEqual([]);
    const eastWest = gatewayReleases(m).filter((r) => r.inputs.values.networkGateway);
    expect(eastWest.map((r) => providerName(r.provider)).sort()).toEqual(["burst-k8s", "primary-k8s"]);
    for (const g of eastWest) expect(g.inputs.values.service.loadBalancerSourceRanges).toEqual(EAST_WEST_SOURCE_RANGES);
    // the ingress gateway is the one public entry point it has always been: HTTP to the frontend only
    expect(gatewayReleases(m).filter((r) => !r.inputs.values.networkGateway).map((r) => `${r.inputs.name}@${providerName(r.provider)}`)).toEqual(["istio-ingressgateway@primary-k8s"]);
    const open = m.resources.flatMap((r) => stringsIn(r.inputs).filter((v) => WORLD.test(v.trim())).map((v) => `${r.name}: ${v}`));
    expect(open).toEqual([]);
  });

  it.each(["gkeTwoNetworks", "ownPrimary"])("%s: no Gateway terminates TLS; no Gateway listens on Redis' port", (shape) => {
    for (const gw of runs[shape].mocks.resources.filter((r) => r.inputs.kind === "Gateway")) {
      for (const server of gw.inputs.spec.servers) {
        expect(server.port.number).not.toBe(6379);
        // the ingress gateway serves plain HTTP to the frontend; every TLS server passes TLS through
        if (server.tls) expect(["PASSTHROUGH", "AUTO_PASSTHROUGH"]).toContain(server.tls.mode);
        else expect(server.port.protocol).toBe("HTTP");
      }
    }
  });

  it("ownPrimary: the kubeconfig reaches the provider and the output as a secret, and its credentials appear nowhere else", async () => {
    const { mocks: m, program: p } = runs.ownPrimary;
    const provider = m.get("pulumi:providers:kubernetes", "primary-k8s");
    expect(isSecretInput(provider.inputs.kubeconfig)).toBe(true);
    expect(await isSecret(p.primaryKubeconfig)).toBe(true);
    const holders = m.resources.filter((r) => stringsIn(r.inputs).some((v) => v.includes(OWN_PRIMARY_TOKEN)));
    expect(holders.map((r) => r.name)).toEqual(["primary-k8s"]);
    for (const [name, output] of Object.entries(p)) {
      if (output === undefined || (pulumi.Output.isInstance(output) && (await isSecret(output)))) continue;
      expect({ output: name, leaks: (JSON.stringify(await valueOf(output)) ?? "").includes(OWN_PRIMARY_TOKEN) }).toEqual({ output: name, leaks: false });
    }
  });

  it("ownPrimary: the same least-privilege RBAC and hardened pods as on GKE", () => {
    const m = runs.ownPrimary.mocks;
    const kinds = (kind: string) => m.resources.filter((r) => r.inputs.kind === kind);
    expect(kinds("RoleBinding").map((b) => `${b.inputs.metadata.name}@${providerName(b.provider)}`).sort()).toEqual(["istio-watcher-scaler@burst-k8s", "istio-watcher@primary-k8s"]);
    expect(m.resources.filter((r) => ["ClusterRole", "ClusterRoleBinding"].includes(r.inputs.kind))).toEqual([]);
    for (const d of kinds("Deployment")) for (const c of d.inputs.spec.template.spec.containers) expectRestrictedContainer(c, d.inputs.spec.template.spec);
  });
});
