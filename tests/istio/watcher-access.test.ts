import { clusterOf, freshMocks, makeProviders, object, objects, propsRecorder, settleAll, valueOf } from "../helpers/pulumi";
import { WatcherAccess, principalOf } from "../../istio/watcher-access";

/**
 * The fields of `security.istio.io/v1` AuthorizationPolicy `spec`, from the OpenAPI schema in Istio's
 * CRD (`authorizationpolicies.security.istio.io`, version v1): the API server prunes a field it does
 * not know, so a typo would silently widen or void the policy. `{}` marks a string map, `[]` a string list.
 */
const AUTHZ_SPEC_SCHEMA = {
  action: "ALLOW|DENY|AUDIT|CUSTOM",
  provider: { name: "string" },
  selector: { matchLabels: "{}" },
  targetRef: { group: "string", kind: "string", name: "string", namespace: "string" },
  targetRefs: [{ group: "string", kind: "string", name: "string", namespace: "string" }],
  rules: [
    {
      from: [
        {
          source: Object.fromEntries(
            [
              "ipBlocks",
              "namespaces",
              "notIpBlocks",
              "notNamespaces",
              "notPrincipals",
              "notRemoteIpBlocks",
              "notRequestPrincipals",
              "notServiceAccounts",
              "notTrustDomains",
              "principals",
              "remoteIpBlocks",
              "requestPrincipals",
              "serviceAccounts",
              "trustDomains",
            ].map((k) => [k, "[]"]),
          ),
        },
      ],
      to: [{ operation: Object.fromEntries(["hosts", "methods", "notHosts", "notMethods", "notPaths", "notPorts", "paths", "ports"].map((k) => [k, "[]"])) }],
      when: [{ key: "string", values: "[]", notValues: "[]" }],
    },
  ],
} as const;

/** Every path in `value` that the schema does not have, or where the value has the wrong shape. */
function schemaProblems(value: unknown, schema: unknown, path = "spec"): string[] {
  if (typeof schema === "string") {
    if (schema === "[]") return Array.isArray(value) && value.every((v) => typeof v === "string") ? [] : [`${path}: not a list of strings`];
    if (schema === "{}") return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string") ? [] : [`${path}: not a string map`];
    if (schema === "string") return typeof value === "string" ? [] : [`${path}: not a string`];
    return typeof value === "string" && schema.split("|").includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${schema}`];
  }
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) return [`${path}: not a list`];
    return value.flatMap((v, i) => schemaProblems(v, schema[0], `${path}[${i}]`));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: not an object`];
  const known = schema as Record<string, unknown>;
  return Object.entries(value).flatMap(([k, v]) => (k in known ? schemaProblems(v, known[k], `${path}.${k}`) : [`${path}.${k}: not in the CRD schema`]));
}

describe("WatcherAccess", () => {
  async function build(statusReaders: string[] = ["frontend"]) {
    const mocks = freshMocks();
    const { primary } = makeProviders();
    const recorder = propsRecorder();
    const access = new WatcherAccess(
      "access",
      { provider: primary, namespace: "hashr", watcherSelector: { app: "istio-watcher" }, statusReaders, dependsOn: [] },
      { transformations: recorder.transformations },
    );
    expect(await valueOf(access.policyName)).toBe("istio-watcher");
    await settleAll();
    return { mocks, recorder };
  }

  it("lets only the frontend's ServiceAccount GET /status on the watcher's port: one ALLOW rule on the watcher's pods", async () => {
    const { mocks } = await build();
    const policies = objects(mocks, "AuthorizationPolicy");
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    expect(policy.type).toBe("kubernetes:security.istio.io/v1:AuthorizationPolicy");
    expect(clusterOf(policy)).toBe("primary");
    expect(policy.inputs.metadata).toEqual({ name: "istio-watcher", namespace: "hashr" });
    expect(policy.inputs.spec).toEqual({
      selector: { matchLabels: { app: "istio-watcher" } },
      action: "ALLOW",
      rules: [
        {
          from: [{ source: { principals: ["cluster.local/ns/hashr/sa/frontend"] } }],
          to: [{ operation: { methods: ["GET"], paths: ["/status"], ports: ["8082"] } }],
        },
      ],
    });
    // no `when`, no notPaths or wildcards that would widen it
    expect(JSON.stringify(policy.inputs.spec)).not.toMatch(/\*|"not[A-Z]|when/);
  });

  it("uses only fields of Istio's AuthorizationPolicy v1 schema, with their types", async () => {
    const { mocks } = await build();
    const spec = object(mocks, "AuthorizationPolicy", "istio-watcher").inputs.spec;
    expect(schemaProblems(spec, AUTHZ_SPEC_SCHEMA)).toEqual([]);
    // the checker itself catches a typo and a wrong shape
    expect(schemaProblems({ ...spec, selector: { matchLabel: {} }, rules: [{ to: [{ operation: { ports: [8082] } }] }] }, AUTHZ_SPEC_SCHEMA).sort()).toEqual([
      "spec.rules[0].to[0].operation.ports: not a list of strings",
      "spec.selector.matchLabel: not in the CRD schema",
    ]);
  });

  it("names each reader in the watcher's namespace and trust domain", async () => {
    const { mocks } = await build(["frontend", "dashboard"]);
    expect(object(mocks, "AuthorizationPolicy", "istio-watcher").inputs.spec.rules[0].from[0].source.principals).toEqual([
      "cluster.local/ns/hashr/sa/frontend",
      "cluster.local/ns/hashr/sa/dashboard",
    ]);
    expect(principalOf("prod", "frontend", "example.org")).toBe("example.org/ns/prod/sa/frontend");
  });

  it("waits for what it is told to (the Istio install that defines the CRD)", async () => {
    freshMocks();
    const { primary } = makeProviders();
    const recorder = propsRecorder();
    const marker = new WatcherAccess("m", { provider: primary, namespace: "hashr", watcherSelector: { app: "x" }, statusReaders: ["frontend"], dependsOn: [] });
    new WatcherAccess("a", { provider: primary, namespace: "hashr", watcherSelector: { app: "istio-watcher" }, statusReaders: ["frontend"], dependsOn: [marker] }, { transformations: recorder.transformations });
    await settleAll();
    const policy = recorder.seen.find((s) => s.props.kind === "AuthorizationPolicy")!;
    expect(policy.opts.dependsOn).toContain(marker);
    expect(policy.opts.provider).toBe(primary);
  });

  it("refuses an empty selector (the policy would close every pod of the namespace) and no readers", () => {
    freshMocks();
    const { primary } = makeProviders();
    const args = { provider: primary, namespace: "hashr", watcherSelector: { app: "istio-watcher" }, statusReaders: ["frontend"], dependsOn: [] };
    expect(() => new WatcherAccess("e1", { ...args, watcherSelector: {} })).toThrow(/watcherSelector must not be empty/);
    expect(() => new WatcherAccess("e2", { ...args, statusReaders: [] })).toThrow(/statusReaders must name at least one ServiceAccount/);
  });
});
