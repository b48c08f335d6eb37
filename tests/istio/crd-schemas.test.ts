/**
 * Every Istio object the stack creates, in every shape, against its CRD's OpenAPI schema in the pinned
 * Istio release: the CRDs of the pinned `base` chart (files/crd-all.gen.yaml in the chart fixtures),
 * which is what `pulumi up` installs before any of these objects. The API server prunes a field its
 * schema does not know without a word (`spec.servers[0].port.nmber` would just vanish), so each
 * object's body is walked as the API server treats it (tests/helpers/schema-walk): an unknown field
 * outside `x-kubernetes-preserve-unknown-fields` and `additionalProperties` is an error, and so are a
 * wrong type, a value outside an enum or a bound, a missing required field and a failed oneOf/anyOf.
 * The apiVersion must be one the CRD serves and does not deprecate. CEL rules
 * (`x-kubernetes-validations`) are not evaluated here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { pinnedIstioChart } from "../helpers/pinned-charts";
import { SHAPES, isKubernetesObject, plain, runProgram, type PulumiMocks } from "../helpers/pulumi";
import { walk, type Schema } from "../helpers/schema-walk";

interface CrdVersion {
  name: string;
  served: boolean;
  deprecated?: boolean;
  schema: { openAPIV3Schema: Schema };
}

interface Crd {
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

type IstioObject = { apiVersion: string; kind: string; metadata?: { name?: string }; [field: string]: unknown };

/** The pinned release's CRDs by `<group>/<kind>`. */
function loadCrds(): Map<string, Crd> {
  const text = readFileSync(join(pinnedIstioChart("base"), "files", "crd-all.gen.yaml"), "utf8");
  const crds = (yaml.loadAll(text) as (Crd | null)[]).filter((d): d is Crd => d?.spec?.names?.kind !== undefined);
  return new Map(crds.map((crd) => [`${crd.spec.group}/${crd.spec.names.kind}`, crd]));
}

const CRDS = loadCrds();

/** What the API server would drop or refuse in an Istio object; [] when it keeps every field as written. */
function crdProblems(object: IstioObject): string[] {
  const { apiVersion, kind, metadata, ...body } = object; // the root keeps these three whatever the schema says
  const where = `${kind}/${metadata?.name ?? "?"}`;
  const [group, version] = apiVersion.split("/");
  const crd = CRDS.get(`${group}/${kind}`);
  if (!crd) return [`${where}: no CRD for ${kind} in ${group}`];
  const served = crd.spec.versions.find((v) => v.name === version && v.served);
  if (!served) return [`${where}: ${apiVersion} is not served (served: ${crd.spec.versions.filter((v) => v.served).map((v) => v.name).join(", ")})`];
  const deprecated = served.deprecated ? [`${where}: ${apiVersion} is deprecated`] : [];
  return [...deprecated, ...walk(served.schema.openAPIV3Schema, body, where, { unknownFields: "prune" })];
}

/** The Istio objects a run declared, as plain values. */
function istioObjects(mocks: PulumiMocks): IstioObject[] {
  return mocks.resources.filter((r) => isKubernetesObject(r) && /\.istio\.io\//.test(r.inputs.apiVersion)).map((r) => plain<IstioObject>(r.inputs));
}

/** The expose-istiod Gateway, as samples/multicluster/expose-istiod.yaml writes it. */
const exposeIstiod = (): IstioObject => ({
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "istiod-gateway" },
  spec: {
    selector: { istio: "eastwestgateway" },
    servers: [{ port: { name: "tls-istiod", number: 15012, protocol: "tls" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] }],
  },
});

describe("the CRD walk", () => {
  it("accepts a valid object and reports a misspelt field, with the required one it misses", () => {
    expect(crdProblems(exposeIstiod())).toEqual([]);
    const misspelt = exposeIstiod() as any;
    misspelt.spec.servers[0].port = { name: "tls-istiod", nmber: 15012, protocol: "tls" };
    expect(crdProblems(misspelt)).toEqual([
      "Gateway/istiod-gateway.spec.servers[0].port.number: required, and missing",
      "Gateway/istiod-gateway.spec.servers[0].port.nmber: unknown field, which the API server prunes",
    ]);
    const atTheRoot = { ...exposeIstiod(), spce: {} };
    expect(crdProblems(atTheRoot)).toEqual(["Gateway/istiod-gateway.spce: unknown field, which the API server prunes"]);
  });

  it("reports a wrong type, a value outside an enum, a label value of the wrong type and a failed oneOf", () => {
    const wrong = exposeIstiod() as any;
    wrong.spec.servers[0].port.number = "15012";
    wrong.spec.servers[0].tls.mode = "PASSTHRU";
    wrong.spec.selector.istio = 1;
    expect(crdProblems(wrong)).toEqual([
      "Gateway/istiod-gateway.spec.selector.istio: integer 1, the schema wants string",
      'Gateway/istiod-gateway.spec.servers[0].port.number: string "15012", the schema wants integer',
      'Gateway/istiod-gateway.spec.servers[0].tls.mode: "PASSTHRU" is not one of "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"',
    ]);
    const twoMatches = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "vs" }, spec: { hosts: ["a"], http: [{ match: [{ uri: { exact: "/", prefix: "/" } }] }] } };
    expect(crdProblems(twoMatches)).toEqual(["VirtualService/vs.spec.http[0].match[0].uri: matches 2 of the schema's oneOf, not exactly one"]);
  });

  it("keeps what a preserve-unknown-fields subtree or a map holds, and refuses an API the release does not serve", () => {
    const filter = {
      apiVersion: "networking.istio.io/v1alpha3",
      kind: "EnvoyFilter",
      metadata: { name: "f" },
      spec: { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "MERGE", value: { any: { shape: [1, "two"] } } } }] },
    };
    expect(crdProblems(filter)).toEqual([]);
    expect(crdProblems({ ...exposeIstiod(), apiVersion: "networking.istio.io/v2" })).toEqual(["Gateway/istiod-gateway: networking.istio.io/v2 is not served (served: v1, v1alpha3, v1beta1)"]);
    expect(crdProblems({ ...exposeIstiod(), kind: "Gatway" })).toEqual(["Gatway/istiod-gateway: no CRD for Gatway in networking.istio.io"]);
  });

  it("follows JSON Schema where told to: nullable, additionalProperties, and unknown fields allowed", () => {
    const schema: Schema = {
      type: "object",
      properties: { a: { type: "string", nullable: true }, m: { type: "object", additionalProperties: { type: "integer" } } },
    };
    expect(walk(schema, { a: null, m: { x: 1 } }, "v", { unknownFields: "prune" })).toEqual([]);
    expect(walk(schema, { m: { x: "1" }, b: 2 }, "v", { unknownFields: "prune" })).toEqual(['v.m.x: string "1", the schema wants integer', "v.b: unknown field, which the API server prunes"]);
    expect(walk(schema, { b: 2 }, "v", { unknownFields: "allow" })).toEqual([]);
    expect(walk({ ...schema, additionalProperties: false }, { b: 2 }, "v", { unknownFields: "allow" })).toEqual(["v.b: not allowed (the schema has additionalProperties: false)"]);
  });
});

describe("every Istio object the stack creates, against its CRD in the pinned release", () => {
  const kindsEverywhere = ["AuthorizationPolicy", "DestinationRule", "Gateway", "PeerAuthentication", "VirtualService"];

  it.each(Object.entries(SHAPES))("%s", async (shape, config) => {
    const { mocks } = await runProgram(config);
    const objects = istioObjects(mocks);
    expect([...new Set(objects.map((o) => o.kind))].sort()).toEqual(kindsEverywhere);
    if (shape === "gkeTwoNetworks") expect(objects.map((o) => o.metadata?.name)).toContain("cross-network-gateway");
    for (const object of objects) {
      const name = `${object.kind}/${object.metadata?.name}`;
      expect({ object: name, problems: crdProblems(object) }).toEqual({ object: name, problems: [] });
    }
  });
});
