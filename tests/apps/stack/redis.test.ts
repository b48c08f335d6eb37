import * as pulumi from "@pulumi/pulumi";
import {
  TEST_PASSWORD,
  clusterOf,
  containersOf,
  envOf,
  expectRestrictedContainer,
  freshMocks,
  isSecret,
  isSecretInput,
  makeProviders,
  object,
  objects,
  plain,
  plainStringsIn,
  propsRecorder,
  settleAll,
  stringsIn,
  valueOf,
} from "../../helpers/pulumi";
import { RedisCache, RedisCredentials } from "../../../apps/stack/redis";

describe("RedisCredentials", () => {
  it("generates one password and puts it, as a Pulumi secret, in a Secret in each cluster", async () => {
    const mocks = freshMocks();
    const { primary, burst } = makeProviders();
    const recorder = propsRecorder();
    const creds = new RedisCredentials(
      "creds",
      { targets: { primary: { provider: primary, namespace: "hashr" }, burst: { provider: burst, namespace: "hashr" } } },
      { transformations: recorder.transformations },
    );
    expect(await isSecret(creds.password)).toBe(true);
    expect(await isSecret(creds.url)).toBe(true);
    expect(await valueOf(creds.password)).toBe(TEST_PASSWORD);
    expect(await valueOf(creds.url)).toBe(`redis://:${TEST_PASSWORD}@redis-cache-service:6379`);
    await settleAll();

    const passwords = mocks.ofType("random:index/randomPassword:RandomPassword");
    expect(passwords).toHaveLength(1);
    expect(passwords[0].inputs).toMatchObject({ length: 32, special: false });

    const secrets = objects(mocks, "Secret");
    expect(secrets.map(clusterOf).sort()).toEqual(["burst", "primary"]);
    for (const s of secrets) {
      expect(s.type).toBe("kubernetes:core/v1:Secret");
      expect(s.inputs.metadata).toMatchObject({ name: "redis-credentials", namespace: "hashr" });
      expect(s.inputs.type).toBe("Opaque");
      // the values reach the engine inside Pulumi's secret envelope, never as plain inputs
      expect(isSecretInput(s.inputs.stringData)).toBe(true);
      expect(plain(s.inputs.stringData)).toEqual({ password: TEST_PASSWORD, url: `redis://:${TEST_PASSWORD}@redis-cache-service:6379` });
      expect(plainStringsIn(s.inputs)).not.toContain(TEST_PASSWORD);
      expect(s.inputs.data).toBeUndefined();
    }

    // what the program hands the Secret resources is secret, key by key (not only the provider's additionalSecretOutputs)
    const secretProps = recorder.seen.filter((s) => s.type === "kubernetes:core/v1:Secret");
    expect(secretProps).toHaveLength(2);
    for (const { props } of secretProps) {
      expect(await isSecret(pulumi.output(props.stringData.password))).toBe(true);
      expect(await isSecret(pulumi.output(props.stringData.url))).toBe(true);
    }
    // and the Secret resources' own stringData outputs are secret too
    for (const secret of Object.values(creds.secrets)) {
      expect(await isSecret(secret!.stringData)).toBe(true);
    }
  });
});

describe("RedisCache", () => {
  it("runs Redis in the primary cluster: password from the Secret, probes, limits, non-root, ClusterIP only", async () => {
    const mocks = freshMocks();
    const { primary } = makeProviders();
    const redis = new RedisCache("redis", { provider: primary, namespace: "hashr", cluster: "primary", passwordSecretName: "redis-credentials" });
    expect(await valueOf(redis.serviceName)).toBe("redis-cache-service");
    await settleAll();

    const dep = object(mocks, "Deployment", "redis-cache", "primary");
    expect(dep.type).toBe("kubernetes:apps/v1:Deployment");
    expect(dep.inputs.apiVersion).toBe("apps/v1");
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy).toEqual({ type: "Recreate" });
    const pod = dep.inputs.spec.template.spec;
    expect(dep.inputs.spec.template.metadata.labels).toEqual({ app: "redis-cache", version: "v1", "cluster-type": "primary-cluster" });
    const [c] = containersOf(dep);
    expect(c.args.slice(0, 2)).toEqual(["--requirepass", "$(REDIS_PASSWORD)"]);
    expect(c.args).toEqual(expect.arrayContaining(["--save", "", "--appendonly", "no"]));
    expect(envOf(c)).toEqual({
      REDIS_PASSWORD: "secret:redis-credentials/password",
      REDISCLI_AUTH: "secret:redis-credentials/password",
    });
    expect(c.ports).toEqual([{ name: "tcp-redis", containerPort: 6379 }]);
    expect(c.readinessProbe.exec.command.join(" ")).toContain("redis-cli ping");
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 6379 });
    expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expectRestrictedContainer(c, pod);
    expect(c.securityContext.runAsUser).toBe(999);
    // the only writable path is the /data emptyDir
    expect(c.volumeMounts).toEqual([{ name: "redis-data", mountPath: "/data" }]);
    expect(pod.volumes[0].emptyDir).toBeDefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(stringsIn(dep.inputs)).not.toContain(TEST_PASSWORD);

    const svc = object(mocks, "Service", "redis-cache-service", "primary");
    expect(svc.inputs.metadata.annotations).toBeUndefined();
    expect(svc.inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { app: "redis-cache" },
      ports: [{ name: "tcp-redis", port: 6379, targetPort: 6379, protocol: "TCP" }],
    });
  });

  it("in the burst cluster creates the Service only (DNS resolves, the mesh reaches primary's Redis)", async () => {
    const mocks = freshMocks();
    const { burst } = makeProviders();
    const stub = new RedisCache("redis-burst", { provider: burst, namespace: "hashr", cluster: "burst" });
    expect(stub.deployment).toBeUndefined();
    await settleAll();
    expect(objects(mocks, "Deployment")).toHaveLength(0);
    const svc = object(mocks, "Service", "redis-cache-service", "burst");
    // no pods behind it in this cluster: Pulumi must not wait for endpoints (it would time out)
    expect(svc.inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(svc.inputs.spec.type).toBe("ClusterIP");
    expect(svc.inputs.spec.ports).toEqual([{ name: "tcp-redis", port: 6379, targetPort: 6379, protocol: "TCP" }]);
  });
});
