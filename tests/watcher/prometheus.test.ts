/** The Prometheus source against a local HTTP server with canned answers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PrometheusClient, PrometheusSource } from "../../watcher/src/prometheus";
import { freePort } from "../helpers/services";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
const seen: URL[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(new URL(req.url ?? "/", "http://x"));
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => (seen.length = 0));

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
const vector = (...values: string[]) => ({
  status: "success",
  data: { resultType: "vector", result: values.map((v, i) => ({ metric: { destination_cluster: `c${i}` }, value: [1764000000.123, v] })) },
});

describe("Prometheus source (canned answers)", () => {
  const client = () => new PrometheusClient({ url: base, timeoutMs: 500 });

  it.each<[string, Handler, unknown]>([
    ["vector with one sample", json(200, vector("17.25")), { kind: "value", value: 17.25 }],
    ["vector with 0", json(200, vector("0")), { kind: "value", value: 0 }],
    ["scalar", json(200, { status: "success", data: { resultType: "scalar", result: [1764000000, "3.5"] } }), { kind: "value", value: 3.5 }],
    ["empty vector", json(200, vector()), { kind: "nodata", reason: "empty" }],
    ["NaN (0/0 rate)", json(200, vector("NaN")), { kind: "nodata", reason: "nan" }],
    ["+Inf", json(200, vector("+Inf")), { kind: "nodata", reason: "nan" }],
    ["several series", json(200, vector("1", "2")), { kind: "nodata", reason: "multiple-series" }],
    [
      "matrix (a range query)",
      json(200, { status: "success", data: { resultType: "matrix", result: [{ metric: {}, values: [[1, "1"]] }] } }),
      { kind: "error", message: expect.stringMatching(/unexpected result type matrix/) },
    ],
    ["HTTP 503 with a text body", json(503, "Service Unavailable"), { kind: "error", message: "HTTP 503" }],
    [
      "HTTP 400 with Prometheus' error JSON",
      json(400, { status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' }),
      { kind: "error", message: 'HTTP 400: bad_data: parse error: unexpected "}"' },
    ],
    ["HTTP 500 with JSON error", json(500, { status: "error", errorType: "internal", error: "boom" }), { kind: "error", message: "HTTP 500: internal: boom" }],
    ["invalid JSON", json(200, "{not json"), { kind: "error", message: "invalid JSON in the answer" }],
    ["status error on 200", json(200, { status: "error", error: "x" }), { kind: "error", message: "HTTP 200: x" }],
    ["malformed sample", json(200, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, 2] }] } }), { kind: "error", message: "malformed sample in the answer" }],
  ])("%s", async (_name, h, expected) => {
    handler = h;
    expect(await client().query("up")).toEqual(expected);
  });

  it("timeout: a server that never answers is an error after QUERY_TIMEOUT", async () => {
    handler = () => undefined; // hold the request
    expect(await client().query("up")).toEqual({ kind: "error", message: "timed out after 500 ms" });
  });

  it("connection refused is an error", async () => {
    const c = new PrometheusClient({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    expect(await c.query("up")).toEqual({ kind: "error", message: "request failed: ECONNREFUSED" });
  });

  it("sends the query and a server-side timeout to /api/v1/query", async () => {
    handler = json(200, vector("1"));
    await new PrometheusClient({ url: `${base}/`, timeoutMs: 1500 }).query('sum(rate(x{a="b"}[30s]))');
    expect(seen[0].pathname).toBe("/api/v1/query");
    expect(seen[0].searchParams.get("query")).toBe('sum(rate(x{a="b"}[30s]))');
    expect(seen[0].searchParams.get("timeout")).toBe("1500ms");
  });

  describe("PrometheusSource (rate + optional burst health query)", () => {
    const answers = (byQuery: Record<string, unknown>): Handler => (req, res) => {
      const q = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
      json(200, byQuery[q] ?? vector())(req, res);
    };

    it("rate only: health query not sent while burst gets no traffic", async () => {
      handler = answers({ RATE: vector("20"), HEALTH: vector("0.1") });
      const src = new PrometheusSource({ url: base, timeoutMs: 500, query: "RATE", burstHealthQuery: "HEALTH" });
      expect(await src.sample({ burstInUse: false })).toEqual({ kind: "value", rps: 20, burstSuccessRatio: undefined });
      expect(seen.map((u) => u.searchParams.get("query"))).toEqual(["RATE"]);
    });

    it("with burst in use the ratio comes along; no data for the ratio is unknown", async () => {
      handler = answers({ RATE: vector("20"), HEALTH: vector("0.25") });
      const src = new PrometheusSource({ url: base, timeoutMs: 500, query: "RATE", burstHealthQuery: "HEALTH" });
      expect(await src.sample({ burstInUse: true })).toEqual({ kind: "value", rps: 20, burstSuccessRatio: 0.25 });
      handler = answers({ RATE: vector("20"), HEALTH: vector("NaN") });
      expect(await src.sample({ burstInUse: true })).toEqual({ kind: "value", rps: 20, burstSuccessRatio: undefined });
    });

    it("a rate without data is the sample", async () => {
      handler = answers({ RATE: vector("1", "2") });
      const src = new PrometheusSource({ url: base, timeoutMs: 500, query: "RATE" });
      expect(await src.sample({ burstInUse: true })).toEqual({ kind: "nodata", reason: "multiple-series" });
    });
  });
});
