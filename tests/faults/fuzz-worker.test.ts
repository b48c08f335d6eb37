/**
 * Bad input fuzz for the worker: random and malformed bodies, methods, paths, headers and sizes over
 * HTTP, and malformed HTTP over raw TCP (request lines, Content-Length, truncated bodies, slowloris,
 * invalid UTF-8, deep nesting). Each one must get a 4xx (never a 5xx, never a hang), publish nothing
 * on the Redis `calculation` channel (a real redis-server, subscribed to), and leave the worker
 * answering valid requests. In-process through createWorker, then against the built program.
 *
 * The cases come from a seeded PRNG: FUZZ_SEED=<n> replays a run; a failure names the seed, the case
 * number and the input.
 */
import type { ChildProcess } from "node:child_process";
import { Agent, METHODS } from "node:http";
import { createLogger, listen } from "@istio-burst/common";
import { createWorker, MAX_BODY_BYTES, type Worker } from "../../apps/worker/src/app";
import { hashString } from "../../apps/worker/src/hash";
import { freePort, startRedis, stopChild, waitFor, type RedisServer } from "../helpers/services";
import { builtProgram, runProgram } from "../helpers/programs";
import { subscribe, within } from "../apps/worker/helpers";
import {
  cutOffWhileSending,
  describeHttpCase,
  fuzzSeed,
  junkHeaders,
  pool,
  raw,
  rawReq,
  send,
  show,
  slowClientCases,
  untilHealthy,
  useShortTimeouts,
  type HttpRequest,
  type RawCase,
  type RawResult,
} from "../helpers/fuzz";
import { prng, type Rng } from "../../packages/tooling/src/random";

const SEED = fuzzSeed();

// ---- generators ------------------------------------------------------------------------------------

/** Any JSON value, nested up to `depth`. */
function jsonValue(r: Rng, depth: number): unknown {
  const kind = r.int(0, depth > 0 ? 9 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, r.int(-1e9, 1e9)]);
    case 3:
    case 4:
      return r.ascii(r.int(0, 40));
    case 5:
      return r.pick(["", "str", "\u0000", "\ud83d\ude00", "\u202e", "<script>", "${x}", "__proto__"]);
    case 6:
      return [];
    case 7:
    case 8:
      return Array.from({ length: r.int(0, 4) }, () => jsonValue(r, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.pick(["a", "STR", "Str", "s", "str ", "freq", "__proto__", r.ascii(5)]), jsonValue(r, depth - 1)]));
  }
}

/** A JSON value that is not a string (for `str`). */
function nonString(r: Rng): unknown {
  for (;;) {
    const v = jsonValue(r, 3);
    if (typeof v !== "string") return v;
  }
}

/** A body the worker must refuse: it is not a JSON object whose `str` is a string. */
function badBody(r: Rng): { body: Buffer; what: string } {
  const valid = JSON.stringify({ str: r.ascii(r.int(1, 30)) });
  const text = (what: string, s: string) => ({ body: Buffer.from(s, "utf8"), what });
  switch (r.int(0, 17)) {
    case 0:
      return text("empty", "");
    case 1:
      return { body: r.bytes(r.int(1, 2000)), what: "random bytes" };
    case 2:
      return text("random text", r.ascii(r.int(1, 500)));
    case 3: {
      let v = jsonValue(r, 3);
      while (v !== null && typeof v === "object" && !Array.isArray(v)) v = jsonValue(r, 3);
      return text("JSON, not an object", JSON.stringify(v));
    }
    case 4: {
      const o = jsonValue(r, 3);
      const obj = o !== null && typeof o === "object" && !Array.isArray(o) ? { ...(o as object) } : { other: o };
      delete (obj as { str?: unknown }).str;
      return text("object without str", JSON.stringify(obj));
    }
    case 5:
    case 6:
      return text("str not a string", JSON.stringify({ str: nonString(r), ...(r.next() < 0.3 ? { x: r.ascii(3) } : {}) }));
    case 7:
      return text("truncated JSON", valid.slice(0, r.int(0, valid.length - 1)));
    case 8:
      return text("JSON with trailing bytes", valid + r.pick(["x", "}", ",", valid, " {", "\u0000", "]"]));
    case 9: {
      const n = r.int(100, 20_000);
      return text(`nesting ${n} deep in str`, `{"str":${"[".repeat(n)}${"]".repeat(n)}}`);
    }
    case 10: {
      const n = r.int(100, 30_000);
      return text(`unbalanced nesting ${n}`, r.pick(["[", "{\"a\":", "{\"str\":["]).repeat(n));
    }
    case 11: {
      // invalid UTF-8 inside the string: JSON text must be UTF-8 (RFC 8259 8.1)
      const bytes = Array.from({ length: r.int(0, 20) }, () => r.pick([0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xfe, 0xed, 0xe0]));
      // 0xFF never occurs in UTF-8, so the run is invalid whatever else was picked
      bytes.splice(r.int(0, bytes.length), 0, 0xff);
      const junk = Buffer.from(bytes);
      return { body: Buffer.concat([Buffer.from('{"str":"a'), junk, Buffer.from('"}')]), what: "invalid UTF-8 in str" };
    }
    case 12:
      return { body: Buffer.from(valid, "utf16le"), what: "UTF-16 JSON" };
    case 13:
      return text("not JSON but close", r.pick([`{'str':'x'}`, `{str:"x"}`, `{"str":"x",}`, `{"str":NaN}`, `{"str":undefined}`, `{"str":"x" /* c */}`, `{"str":'x'}`, `\ufeff${valid}`, `{"str":"\\x41"}`, `{"str":"\\u12"}`, `{"str":"line\nbreak"}`]));
    case 14: {
      const size = MAX_BODY_BYTES + r.int(1, 40_000);
      return text(`oversize ${size}`, `{"str":"${"a".repeat(size - 10)}"}`);
    }
    case 15:
      return text("oversize at the limit + 1", `{"str":"${"b".repeat(MAX_BODY_BYTES + 1 - 10)}"}`);
    case 16:
      return text("JSON array of valid objects", `[${valid},${valid}]`);
    default:
      return text("str is an object with str", JSON.stringify({ str: { str: r.ascii(5) } }));
  }
}

const HEADER_NAMES = ["x-fuzz", "content-type", "accept", "x-forwarded-for", "content-encoding", "authorization", "cookie", "x-request-id", "user-agent", "accept-encoding", "connection"];
const HEADER_VALUES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "gzip", "br", "identity", "*/*", "keep-alive", "", "application/json; charset=latin1", "multipart/form-data; boundary=x"];

const OTHER_METHODS = METHODS.filter((m) => !["GET", "HEAD", "POST", "CONNECT", "PRI"].includes(m));
const SERVED = new Set(["/", "/_healthz", "/metrics"]);

function randomPath(r: Rng): string {
  const seg = () => r.ascii(r.int(0, 12), "abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@");
  for (;;) {
    const p = r.pick([
      () => `/${seg()}`,
      () => `/${seg()}/${seg()}/${seg()}`,
      () => r.pick(["//", "/./", "/..", "/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%00", "/_healthz/x", "/metrics/..", "/index.js", "/dist/index.js", "/%ZZ", "/?", "/;"]),
      () => `/${"a".repeat(r.int(100, 6000))}`,
    ])();
    const path = p.split("?")[0];
    if (!SERVED.has(path)) return p;
  }
}

interface HttpCase extends HttpRequest {
  n: number;
  what: string;
  /** the only acceptable status */
  expected: number;
}

/** A batch of bad HTTP requests: bad bodies on POST /, other methods on /, other paths. */
function httpCases(r: Rng, start: number, count: number): HttpCase[] {
  const cases: HttpCase[] = [];
  for (let n = start; n < start + count; n++) {
    const kind = r.next();
    const headers = junkHeaders(r, HEADER_NAMES, HEADER_VALUES);
    // the request's own framing is the client's: no junk connection header where a body is sent
    delete headers["connection"];
    if (kind < 0.65) {
      const { body, what } = badBody(r);
      const query = r.next() < 0.15 ? `?${r.ascii(r.int(0, 20), "abcxyz=&%0123")}` : "";
      cases.push({ n, method: "POST", path: `/${query}`, headers, body, what, expected: body.length > MAX_BODY_BYTES ? 413 : 400 });
    } else if (kind < 0.82) {
      const method = r.pick(OTHER_METHODS);
      const body = r.next() < 0.5 ? Buffer.from(JSON.stringify({ str: r.ascii(8) })) : undefined;
      cases.push({ n, method, path: "/", headers, body, what: `${method} / ${body ? "with a valid body" : ""}`, expected: 405 });
    } else {
      const method = r.pick(["GET", "POST", "HEAD", ...OTHER_METHODS]);
      const path = randomPath(r);
      const body = method === "GET" || method === "HEAD" ? undefined : Buffer.from(JSON.stringify({ str: r.ascii(8) }));
      cases.push({ n, method, path, headers, body, what: `${method} ${path.slice(0, 80)}`, expected: 404 });
    }
  }
  return cases;
}

// ---- HTTP checks, raw TCP cases --------------------------------------------------------------------

/** The cases whose outcome is not what they expect, described for the failure message. */
async function runHttpBatch(port: number, cases: HttpCase[], agent: Agent): Promise<string[]> {
  const outcomes = await pool(cases, 8, (c) => send(port, c, agent));
  const failures: string[] = [];
  outcomes.forEach((o, i) => {
    const c = cases[i];
    const jsonError = (() => {
      if (c.method === "HEAD") return true;
      try {
        return typeof (JSON.parse(o.text ?? "") as { error?: unknown }).error === "string";
      } catch {
        return false;
      }
    })();
    // An oversize body may be cut off by the server's early 413 + close before the client finished sending it.
    const earlyClose = c.expected === 413 && cutOffWhileSending(o);
    if ((o.status !== c.expected || !jsonError) && !earlyClose) {
      failures.push(`seed ${SEED} ${describeHttpCase(c)} -> expected ${c.expected}, got ${o.status ?? "no response"}${o.error ? ` (${o.error})` : ""} ${show(o.text, 120)}`);
    }
  });
  return failures;
}

const req = (head: string, body: string | Buffer = "") => [rawReq(head, body)];

/** Malformed HTTP, as raw bytes. Every case is a fresh connection; `Connection: close` where the server would otherwise keep it. */
function rawCases(r: Rng): RawCase[] {
  const deep = 20_000;
  const cases: RawCase[] = [
    { what: "garbage request line", parts: req("GARBAGE\n\n") },
    { what: "request line without target", parts: req("POST\n\n") },
    { what: "HTTP/0.9 style", parts: req("GET /\n") , end: true, closeOk: true },
    { what: "unknown method", parts: req("FOO / HTTP/1.1\nHost: x\n\n") },
    { what: "lower-case method", parts: req("post / HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}") },
    { what: "bad HTTP version", parts: req("POST / HTTP/9.9\nHost: x\nContent-Length: 2\n\n{}") },
    { what: "space in target", parts: req("POST /a b HTTP/1.1\nHost: x\n\n") },
    { what: "header without colon", parts: req("POST / HTTP/1.1\nHost x\n\n") },
    { what: "obs-fold header", parts: req("POST / HTTP/1.1\nHost: x\nX-A: a\n b\nContent-Length: 2\n\n{}") },
    { what: "NUL in header value", parts: req("POST / HTTP/1.1\nHost: x\nX-A: a\u0000b\nContent-Length: 2\n\n{}") },
    { what: "Content-Length not a number", parts: req("POST / HTTP/1.1\nHost: x\nContent-Length: abc\n\n{}") },
    { what: "negative Content-Length", parts: req("POST / HTTP/1.1\nHost: x\nContent-Length: -5\n\n{}") },
    { what: "huge Content-Length", parts: req("POST / HTTP/1.1\nHost: x\nContent-Length: 99999999999999999999999\n\n{}") },
    { what: "Content-Length over the limit, no body sent", parts: req(`POST / HTTP/1.1\nHost: x\nContent-Length: ${MAX_BODY_BYTES + 1}\n\n`) },
    { what: "Content-Length over the limit with Expect: 100-continue", parts: req("POST / HTTP/1.1\nHost: x\nExpect: 100-continue\nContent-Length: 10000000\n\n") },
    { what: "two different Content-Lengths", parts: req('POST / HTTP/1.1\nHost: x\nContent-Length: 12\nContent-Length: 13\n\n{"str":"ab"}') },
    { what: "Content-Length and chunked", parts: req('POST / HTTP/1.1\nHost: x\nContent-Length: 12\nTransfer-Encoding: chunked\n\nc\n{"str":"ab"}\n0\n\n') },
    { what: "bad chunk size", parts: req("POST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\nzz\nabc\n0\n\n") },
    { what: "unknown transfer encoding", parts: req('POST / HTTP/1.1\nHost: x\nTransfer-Encoding: gzip\n\n{"str":"ab"}'), closeOk: true },
    {
      what: "chunked body over the limit",
      parts: [...req("POST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n"), ...Array.from({ length: 5 }, () => `4000\r\n${"a".repeat(0x4000)}\r\n`), "0\r\n\r\n"],
      closeOk: true,
    },
    { what: "header section too large", parts: req(`POST / HTTP/1.1\nHost: x\nX-Big: ${"a".repeat(20_000)}\nContent-Length: 2\n\n{}`) },
    { what: "invalid UTF-8 body", parts: req('POST / HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 12\n\n', Buffer.from([0x7b, 0x22, 0x73, 0x74, 0x72, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])) },
    { what: "overlong UTF-8 encoding in str", parts: req('POST / HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 12\n\n', Buffer.from([0x7b, 0x22, 0x73, 0x74, 0x72, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])) },
    { what: "UTF-16 surrogate encoded as UTF-8 (CESU)", parts: req('POST / HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 13\n\n', Buffer.from([0x7b, 0x22, 0x73, 0x74, 0x72, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])) },
    { what: `JSON nested ${deep} deep`, parts: req(`POST / HTTP/1.1\nHost: x\nConnection: close\nContent-Length: ${8 + 2 * deep}\n\n`, `{"str":${"[".repeat(deep)}${"]".repeat(deep)}}`) },
    { what: "pipelined bad bodies", parts: req(`POST / HTTP/1.1\nHost: x\nContent-Length: 2\n\n[]POST / HTTP/1.1\nHost: x\nContent-Length: 9\n\n{"str":1}POST / HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 1\n\n{`) },
    { what: "absolute-form target with a valid body", parts: req('POST http://evil.example/ HTTP/1.1\nHost: evil.example\nConnection: close\nContent-Length: 11\n\n{"str":"a"}') },
    { what: "CONNECT", parts: req("CONNECT evil.example:443 HTTP/1.1\nHost: evil.example:443\n\n"), closeOk: true },
    { what: "HTTP/2 preface", parts: req("PRI * HTTP/2.0\n\nSM\n\n"), closeOk: true },
    { what: "TLS ClientHello on the plain port", parts: [Buffer.from("16030100a5010000a10303", "hex"), r.bytes(150)], closeOk: true },
    { what: "bare LF line endings, no body", parts: [Buffer.from("POST / HTTP/1.1\nHost: x\nConnection: close\n\n", "latin1")], closeOk: true },
    { what: "truncated body, then the client half-closes", parts: req("POST / HTTP/1.1\nHost: x\nContent-Length: 100\n\n", '{"str":"abc'), end: true, closeOk: true },
  ];
  for (let i = 0; i < 8; i++) cases.push({ what: `random bytes #${i}`, parts: [r.bytes(r.int(1, 3000))], end: r.next() < 0.5, closeOk: true });
  for (let i = 0; i < 6; i++) {
    // a real request line, then random header bytes
    cases.push({ what: `junk headers #${i}`, parts: [Buffer.from("POST / HTTP/1.1\r\n"), r.bytes(r.int(1, 500)), Buffer.from("\r\n\r\n")], closeOk: true });
  }
  return cases;
}

/** Slow clients: the server's timeouts must close them (cases for a worker running with short timeouts). */
function slowCases(): RawCase[] {
  return slowClientCases({ post: "POST /", partialBody: '{"str":"abc', slowlorisRequest: "POST /", trickleByte: "a", partialLine: "POST /" });
}

function rawFailures(c: RawCase, res: RawResult): string | undefined {
  const all4xx = res.statuses.length > 0 && res.statuses.every((s) => s >= 400 && s < 500);
  const problem =
    res.statuses.some((s) => s < 400 || s >= 500)
      ? `answered ${res.statuses.join(",")}`
      : res.timedOut && !(all4xx && !c.closedWithinMs)
        ? `no close after ${res.ms} ms (statuses: ${res.statuses.join(",") || "none"})`
        : !all4xx && !(c.closeOk || c.closedWithinMs)
          ? `no 4xx (closed: ${res.closed})`
          : c.closedWithinMs !== undefined && (!res.closed || res.ms > c.closedWithinMs)
            ? `not closed within ${c.closedWithinMs} ms (${res.ms} ms)`
            : undefined;
  if (!problem) return undefined;
  const sent = c.parts.filter((p) => typeof p !== "number").map((p) => (typeof p === "string" ? p : p.toString("latin1"))).join("");
  return `seed ${SEED} raw case "${c.what}": ${problem}; sent ${show(sent)}; received ${show(res.raw, 200)}`;
}

// ---- the worker under fuzz -------------------------------------------------------------------------

let redis: RedisServer;
let sub: Awaited<ReturnType<typeof subscribe>>;
beforeAll(async () => {
  redis = await startRedis();
  sub = await subscribe(redis.url);
  // eslint-disable-next-line no-console
  console.log(`worker fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
});
afterAll(async () => {
  await sub?.close();
  await redis?.dispose();
});

/** Only the canaries' hashes were published, in order: bad input published nothing. */
async function expectOnlyCanaries(canaries: string[]): Promise<void> {
  await waitFor(`canary hash ${canaries[canaries.length - 1]} on the calculation channel`, () => sub.messages.length >= canaries.length, 5_000, 10);
  expect(sub.messages).toEqual(canaries);
}

/** A valid request, which must still work: its hash is answered and published. */
async function canary(port: number, label: string, prefix = ""): Promise<string> {
  const str = `canary ${label}`;
  const o = await send(port, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ str })) }, false);
  const expected = prefix + hashString(str, 1);
  expect({ canary: label, status: o.status, body: o.text }).toEqual({ canary: label, status: 200, body: JSON.stringify({ hash: expected }) });
  return expected;
}

describe("worker in-process (createWorker) under bad input", () => {
  let worker: Worker;
  let port: number;
  let agent: Agent;
  const published: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    sub.messages.length = 0;
    process.on("unhandledRejection", onUnhandled);
    worker = createWorker({ port: 0, redisUrl: redis.url, prefix: "", hashRounds: 1 }, { log: createLogger("worker", "silent"), drainMs: 1_000 });
    useShortTimeouts(worker.server);
    port = await listen(worker.server, 0, "127.0.0.1");
    await untilHealthy("worker ready", port);
    agent = new Agent({ keepAlive: true, maxSockets: 8 });
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    agent?.destroy();
    await worker?.close();
  });

  it("answers 1,500 random bad HTTP requests with the expected 4xx, publishes none, and keeps serving", async () => {
    const r = prng(SEED);
    const failures: string[] = [];
    const counts = new Map<number, number>();
    for (let batch = 0; batch < 6; batch++) {
      const cases = httpCases(r, batch * 250, 250);
      for (const c of cases) counts.set(c.expected, (counts.get(c.expected) ?? 0) + 1);
      failures.push(...(await runHttpBatch(port, cases, agent)));
      expect(failures.slice(0, 10)).toEqual([]);
      published.push(await canary(port, `http batch ${batch}`));
      await expectOnlyCanaries(published);
    }
    // eslint-disable-next-line no-console
    console.log(`worker fuzz: HTTP cases by expected status ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it("answers malformed raw HTTP with a 4xx or a close, never a 2xx/5xx or a hang, and publishes nothing", async () => {
    const r = prng(SEED ^ 0x5eed);
    const cases = rawCases(r);
    const results = await pool(cases, 8, (c) => raw(port, c.parts, { end: c.end }));
    const failures = cases.map((c, i) => rawFailures(c, results[i])).filter((f): f is string => f !== undefined);
    expect(failures).toEqual([]);
    published.push(await canary(port, "raw"));
    await expectOnlyCanaries(published);
  });

  it("cuts off slow clients (truncated bodies, slowloris) by its timeouts, while serving others", async () => {
    const cases = slowCases();
    const slow = Promise.all(cases.map((c) => raw(port, c.parts, { waitMs: 6_000 })));
    // while they hang on, valid requests are served
    for (let i = 0; i < 3; i++) published.push(await canary(port, `during slow clients ${i}`));
    const results = await slow;
    const failures = cases.map((c, i) => rawFailures(c, results[i])).filter((f): f is string => f !== undefined);
    expect(failures).toEqual([]);
    await expectOnlyCanaries(published);
    expect(unhandled).toEqual([]);
  });
});

describe("the built worker program under bad input", () => {
  let child: ChildProcess;
  let output: () => string = () => "";
  let port: number;

  beforeAll(async () => {
    sub.messages.length = 0;
    port = await freePort();
    const program = runProgram(builtProgram("apps/worker/dist/index.js"), { PORT: String(port), REDIS_URL: redis.hostPort, PREFIX: "bursty-" });
    child = program.child;
    output = program.output;
    await untilHealthy("worker program ready", port);
  });
  afterAll(async () => {
    if (child) await stopChild(child);
  });

  it("survives bad HTTP, malformed raw HTTP and slow clients; publishes only valid hashes; exits 0 on SIGTERM", async () => {
    const r = prng(SEED + 1);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const published: string[] = [];
    try {
      const failures: string[] = [];
      for (let batch = 0; batch < 2; batch++) {
        failures.push(...(await runHttpBatch(port, httpCases(r, batch * 250, 250), agent)));
        expect(failures.slice(0, 10)).toEqual([]);
        published.push(await canary(port, `program batch ${batch}`, "bursty-"));
      }
      expect(failures.slice(0, 10)).toEqual([]);

      // Slow clients hold connections (the program's own timeouts are 20-30 s): others are still served.
      const slow = slowCases().map((c) => raw(port, c.parts, { waitMs: 2_000 }));
      const cases = rawCases(prng(SEED + 2));
      const results = await pool(cases, 8, (c) => raw(port, c.parts, { end: c.end }));
      expect(cases.map((c, i) => rawFailures(c, results[i])).filter(Boolean)).toEqual([]);
      published.push(await canary(port, "program after raw", "bursty-"));
      await Promise.all(slow);

      await waitFor("canaries published", () => sub.messages.length >= published.length, 5_000, 10);
      expect(sub.messages).toEqual(published);
      expect({ exitCode: child.exitCode, signal: child.signalCode }).toEqual({ exitCode: null, signal: null });
      // logged no crash or unexpected error
      expect(output()).not.toMatch(/unexpected error|uncaught|unhandled|"level":(50|60)/i);
    } finally {
      agent.destroy();
    }
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await within(exited, 10_000, "still running")).toBe(0);
  });
});
