/**
 * Bad input fuzz for the frontend: its HTTP API (POST /api/frequency, GET /api/stats, other methods
 * and paths, traversal attempts), its socket.io events (`frequency` with every kind of junk, with and
 * without ack, unknown events, oversize messages) and raw engine.io/socket.io packets, plus malformed
 * HTTP over raw TCP. Refused HTTP gets a 4xx (never a 5xx, never a hang), every refused `frequency`
 * gets its error (ack or `frequency-error`), no client is told of a rate change, the running rate is
 * unchanged (the set value, and the calls actually paced at it), hashes cannot be injected, and the
 * frontend keeps answering. In-process through createFrontend, then against the built program.
 *
 * FUZZ_SEED=<n> replays a run; a failure names the seed, the case number and the input.
 */
import type { ChildProcess } from "node:child_process";
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { io as ioConnect, type Socket } from "socket.io-client";
import { createLogger, listen } from "@istio-burst/common";
import { createFrontend, type Frontend } from "../../apps/frontend/src/app";
import { freePort, startRedis, stopChild, waitFor, type RedisServer } from "../helpers/services";
import { builtProgram, runProgram } from "../helpers/programs";
import { within } from "../apps/worker/helpers";
import { startCountingProcessor } from "../apps/frontend/helpers";
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
  SLOW_CLOSED_WITHIN_MS,
  slowClientCases,
  untilHealthy,
  useShortTimeouts,
  type HttpRequest,
  type RawCase,
} from "../helpers/fuzz";
import { prng, type Rng } from "../../packages/tooling/src/random";

const SEED = fuzzSeed();
/** The rate set before the fuzz; bad input must leave it so. */
const FREQ = 7;
const MAX_FREQ = 5000;
/** express.json's limit on /api/frequency */
const FREQ_BODY_LIMIT = 4 * 1024;

// ---- generators ------------------------------------------------------------------------------------

/** A number the frequency must refuse: negative, above MAX_FREQ, or not finite once parsed. */
function badNumber(r: Rng): number {
  return r.pick([
    () => -r.int(1, 1_000_000),
    () => -Math.pow(10, -r.int(1, 300)),
    () => MAX_FREQ + r.int(1, 1_000_000) / r.pick([1, 7, 1000]),
    () => r.pick([1e308, -1e308, Number.MAX_VALUE, 2 ** 53 + 1, 1e21, MAX_FREQ + 1e-9 * MAX_FREQ]),
  ])();
}

/** Any JSON value that is not an acceptable frequency (neither a number in range nor {freq: such}). */
function badValue(r: Rng, depth = 3): unknown {
  switch (r.int(0, depth > 0 ? 9 : 6)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return badNumber(r);
    case 3:
      return r.pick(["7", "", "0", " 7 ", "1e3", "NaN", "Infinity", "-0", "0x10", "\u0000", "\ud83d\ude00", "<script>alert(1)</script>"]);
    case 4:
      return r.ascii(r.int(0, 60));
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return Array.from({ length: r.int(1, 4) }, () => (r.next() < 0.3 ? FREQ : badValue(r, depth - 1)));
    case 8:
      return { freq: badValue(r, depth - 1) };
    default:
      return Object.fromEntries(Array.from({ length: r.int(1, 4) }, () => [r.pick(["Freq", "FREQ", "frequency", "rate", "f", " freq", r.ascii(4)]), r.next() < 0.5 ? FREQ : badValue(r, depth - 1)]));
  }
}

/** A value `{freq: v}` must refuse, as a JSON body text. */
function badFrequencyBody(r: Rng): { body: Buffer; what: string } {
  const text = (what: string, s: string) => ({ body: Buffer.from(s, "utf8"), what });
  switch (r.int(0, 15)) {
    case 0:
      return text("empty", "");
    case 1:
      return { body: r.bytes(r.int(1, 1500)), what: "random bytes" };
    case 2:
      return text("random text", r.ascii(r.int(1, 300)));
    case 3:
    case 4:
      return text("freq not acceptable", JSON.stringify({ freq: badValue(r) }));
    case 5:
      return text("freq out of range", JSON.stringify({ freq: badNumber(r) }));
    case 6:
      return text("not finite once parsed", `{"freq": ${r.pick(["1e309", "-1e309", "1e400", "123e99999"])}}`);
    case 7: {
      // a bare number is not {"freq": n}, even a good one
      const v = r.next() < 0.5 ? FREQ : badValue(r);
      return text("not an object", JSON.stringify(v) ?? "null");
    }
    case 8:
      return text("object without freq", JSON.stringify({ [r.pick(["Freq", "rate", "f", "frequency"])]: FREQ, other: badValue(r, 1) }));
    case 9: {
      const valid = JSON.stringify({ freq: FREQ });
      return text("truncated JSON", valid.slice(0, r.int(0, valid.length - 1)));
    }
    case 10:
      return text("not JSON but close", r.pick([`{freq: 7}`, `{'freq': 7}`, `{"freq": 7,}`, `{"freq": NaN}`, `{"freq": Infinity}`, `{"freq": 0x10}`, `{"freq": 07}`, `{"freq": .5}`, `{"freq": +7}`, `{"freq": 7}}`, `{"freq": 7} x`]));
    case 11: {
      const n = r.int(10, 1_900);
      return text(`nested ${n} deep`, `{"freq":${"[".repeat(n)}${"]".repeat(n)}}`);
    }
    case 12:
      return text("oversize", `{"freq": ${FREQ}, "pad": "${"p".repeat(FREQ_BODY_LIMIT + r.int(0, 20_000))}"}`);
    case 13:
      return text("prototype pollution attempt", r.pick([`{"__proto__": {"freq": 7}}`, `{"constructor": {"prototype": {"freq": 7}}}`, `{"__proto__": {"polluted": true}, "freq": "x"}`]));
    case 14:
      return text("duplicate key, last one bad", `{"freq": ${FREQ}, "freq": ${JSON.stringify(badValue(r, 1)) ?? "null"}}`);
    default:
      return { body: Buffer.concat([Buffer.from('{"freq": 7, "x": "'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('", "freq": "7"}')]), what: "invalid UTF-8 and a string freq" };
  }
}

const HEADER_NAMES = ["x-fuzz", "accept", "x-forwarded-for", "authorization", "cookie", "x-request-id", "user-agent", "accept-encoding", "origin", "referer", "accept-language", "if-none-match"];
const HEADER_VALUES = ["application/json", "text/plain", "*/*", "gzip", "br", "", "null", "http://evil.example", "\"etag\"", "en;q=0.5, *;q=0.1"];

/** Body headers that body-parser refuses with a 4xx whatever the body is (or that change nothing). */
function bodyHeaders(r: Rng): Record<string, string> {
  return r.pick<Record<string, string>>([
    {},
    { "content-type": "application/json" },
    { "content-type": r.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", r.ascii(10)]) },
    { "content-type": `application/json; charset=${r.pick(["latin1", "utf-7", "x-junk", "ebcdic"])}` },
    { "content-encoding": r.pick(["gzip", "deflate", "br", "x-junk", "gzip, gzip"]) },
  ]);
}

interface HttpCase extends HttpRequest {
  n: number;
  what: string;
  /** acceptable statuses */
  expected: (status: number) => boolean;
  expectedText: string;
  /** the reply must be JSON {"error": string} (the app's own refusals) */
  jsonError: boolean;
}

const is4xx = (s: number) => s >= 400 && s < 500;

function randomPath(r: Rng): string {
  const seg = () => r.ascii(r.int(1, 12), "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@");
  return r.pick([
    () => `/x-${seg()}`,
    () => `/api/${seg()}`,
    () => `/api/stats/${seg()}`,
    () => `/vendor/bootstrap/${seg()}`,
    () => `/vendor/chart.js/${seg()}`,
    () => `/${seg()}/${seg()}/${seg()}`,
    () =>
      r.pick([
        "/../package.json",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/vendor/bootstrap/../../../package.json",
        "/vendor/chart.js/..%2f..%2f..%2fpackage.json",
        "/vendor/bootstrap/%2e%2e%2f%2e%2e%2fpackage.json",
        "/..%5c..%5cpackage.json",
        "/%00",
        "/index.html%00.js",
        "/%E0%A4%A",
        "/%",
        "/app.js/..%2f..%2fsrc%2fapp.ts",
        "/.env",
        "/.git/config",
        "/vendor/",
        "/vendor/bootstrap/",
        "/api",
        "/api/",
        "/api/frequency/x",
      ]),
    () => `/x${"a".repeat(r.int(100, 6000))}`,
  ])();
}

/** A batch of HTTP requests the frontend must refuse (or, for /api/stats, answer without change). */
function httpCases(r: Rng, start: number, count: number): HttpCase[] {
  const cases: HttpCase[] = [];
  for (let n = start; n < start + count; n++) {
    const headers = junkHeaders(r, HEADER_NAMES, HEADER_VALUES);
    const kind = r.next();
    if (kind < 0.55) {
      const { body, what } = badFrequencyBody(r);
      const extra = bodyHeaders(r);
      const plain = Object.keys(extra).length === 0 || extra["content-type"] === "application/json";
      const status = body.length > FREQ_BODY_LIMIT ? 413 : 400;
      cases.push({
        n,
        method: "POST",
        path: r.next() < 0.1 ? `/api/frequency?freq=${r.pick(["7", "0", "100"])}` : "/api/frequency",
        headers: { ...headers, ...extra },
        body,
        what: `${what}${plain ? "" : ` with ${JSON.stringify(extra)}`}`,
        // with an odd content-type the body is still read as JSON; an encoding or charset it does not take is a 415
        expected: plain ? (s) => s === status : is4xx,
        expectedText: plain ? String(status) : "4xx",
        jsonError: true,
      });
    } else if (kind < 0.65) {
      const query = r.next() < 0.5 ? `?${r.ascii(r.int(0, 40), "abcxyz=&%0123[]._")}` : "";
      cases.push({ n, method: "GET", path: `/api/stats${query}`, headers, what: "GET /api/stats with junk query and headers", expected: (s) => s === 200, expectedText: "200", jsonError: false });
    } else if (kind < 0.75) {
      const method = r.pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
      const body = ["GET", "HEAD"].includes(method) ? undefined : Buffer.from(JSON.stringify({ freq: r.next() < 0.5 ? FREQ : 0 }));
      cases.push({ n, method, path: "/api/frequency", headers, body, what: `${method} /api/frequency`, expected: (s) => s === 405, expectedText: "405", jsonError: method !== "HEAD" });
    } else if (kind < 0.8) {
      const method = r.pick(["POST", "PUT", "DELETE", "PATCH"]);
      cases.push({ n, method, path: "/api/stats", headers, body: Buffer.from(JSON.stringify({ freq: 0 })), what: `${method} /api/stats`, expected: (s) => s === 404, expectedText: "404", jsonError: true });
    } else if (kind < 0.87) {
      // engine.io's own endpoint with junk: refused by engine.io
      const query = r.pick(["", "?EIO=9&transport=polling", "?EIO=4&transport=junk", "?EIO=4&transport=polling&sid=nonexistent", "?EIO=4&transport=websocket", `?${r.ascii(r.int(0, 30), "abcxyz=&%0123")}`]);
      const method = r.pick(["GET", "POST", "PUT", "DELETE"]);
      cases.push({
        n,
        method,
        path: `/socket.io/${query}`,
        headers,
        body: method === "GET" ? undefined : r.bytes(r.int(0, 200)),
        what: `${method} socket.io endpoint ${query}`,
        expected: is4xx,
        expectedText: "4xx",
        jsonError: false,
      });
    } else {
      const method = r.pick(["GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
      const path = randomPath(r);
      cases.push({
        n,
        method,
        path,
        headers,
        body: ["GET", "HEAD"].includes(method) ? undefined : Buffer.from(JSON.stringify({ freq: 0 })),
        what: `${method} ${path.slice(0, 80)}`,
        expected: is4xx,
        expectedText: "4xx",
        jsonError: false,
      });
    }
  }
  return cases;
}

// ---- HTTP checks, raw TCP cases --------------------------------------------------------------------

async function runHttpBatch(base: string, cases: HttpCase[], agent: Agent): Promise<string[]> {
  const outcomes = await pool(cases, 8, (c) => send(base, c, agent));
  const failures: string[] = [];
  outcomes.forEach((o, i) => {
    const c = cases[i];
    let problem: string | undefined;
    const earlyClose = (c.body?.length ?? 0) > FREQ_BODY_LIMIT && cutOffWhileSending(o);
    if (earlyClose) return;
    if (o.status === undefined || !c.expected(o.status)) problem = `expected ${c.expectedText}, got ${o.status ?? "no response"}${o.error ? ` (${o.error})` : ""}`;
    else if (c.jsonError) {
      try {
        if (typeof (JSON.parse(o.text ?? "") as { error?: unknown }).error !== "string") problem = "no JSON error message";
      } catch {
        problem = "reply is not JSON";
      }
    } else if (o.status === 200) {
      // GET /api/stats: still the rate set before the fuzz
      try {
        const freq = (JSON.parse(o.text ?? "") as { freq?: unknown }).freq;
        if (freq !== FREQ) problem = `stats report freq ${JSON.stringify(freq)}`;
      } catch {
        problem = "stats are not JSON";
      }
    }
    if (problem) failures.push(`seed ${SEED} ${describeHttpCase(c)} -> ${problem} ${show(o.text, 120)}`);
  });
  return failures;
}

/** Malformed HTTP to the frontend: a 4xx or a close, never a 2xx/5xx, never a hang. */
function rawCases(r: Rng): RawCase[] {
  const deep = 1_500;
  return [
    { what: "garbage request line", parts: [rawReq("GARBAGE\n\n")] },
    { what: "unknown method", parts: [rawReq("FOO /api/frequency HTTP/1.1\nHost: x\n\n")] },
    { what: "bad HTTP version", parts: [rawReq('POST /api/frequency HTTP/7.0\nHost: x\nContent-Length: 10\n\n{"freq":0}')] },
    { what: "Content-Length not a number", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: ten\n\n{}")] },
    { what: "negative Content-Length", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: -1\n\n{}")] },
    { what: "two Content-Lengths", parts: [rawReq('POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: 10\nContent-Length: 11\n\n{"freq":0}')] },
    { what: "Content-Length and chunked", parts: [rawReq('POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: 10\nTransfer-Encoding: chunked\n\na\n{"freq":0}\n0\n\n')] },
    { what: "bad chunk", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\nxyz\n{}\n0\n\n")] },
    { what: "Content-Length over the limit", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 100000\n\n", " ".repeat(100_000))], closeOk: true },
    { what: "chunked body over the limit", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nTransfer-Encoding: chunked\n\n"), ...Array.from({ length: 3 }, () => `800\r\n${" ".repeat(0x800)}\r\n`), "0\r\n\r\n"], closeOk: true },
    { what: "invalid UTF-8 body", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/json\nContent-Length: 11\n\n", Buffer.from([0x7b, 0x22, 0x66, 0x72, 0x65, 0x71, 0x22, 0x3a, 0xc3, 0x28, 0x7d]))] },
    { what: "UTF-16 body", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 24\n\n", Buffer.from('{"freq":70}x', "utf16le"))] },
    { what: `JSON nested ${deep} deep`, parts: [rawReq(`POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nContent-Length: ${9 + 2 * deep}\n\n`, `{"freq":${"[".repeat(deep)}${"]".repeat(deep)}}`)] },
    { what: "header section too large", parts: [rawReq(`GET /api/stats HTTP/1.1\nHost: x\nX-Big: ${"a".repeat(20_000)}\n\n`)] },
    { what: "NUL in header", parts: [rawReq("GET /api/stats HTTP/1.1\nHost: x\nX-A: \u0000\n\n")] },
    { what: "space in target", parts: [rawReq("GET /api/ stats HTTP/1.1\nHost: x\n\n")] },
    { what: "truncated body, client half-closes", parts: [rawReq("POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: 50\n\n", '{"freq":')], end: true, closeOk: true },
    { what: "pipelined bad frequency requests", parts: [rawReq('POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: 12\n\n{"freq":-10}POST /api/frequency HTTP/1.1\nHost: x\nContent-Length: 2\n\n[]POST /api/frequency HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 14\n\n{"freq":"fast"}')] },
    { what: "CONNECT", parts: [rawReq("CONNECT evil.example:443 HTTP/1.1\nHost: evil.example:443\n\n")], closeOk: true },
    { what: "upgrade to an unknown protocol", parts: [rawReq("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\nHost: x\nConnection: Upgrade\nUpgrade: junk\nSec-WebSocket-Version: 99\n\n")], closeOk: true },
    { what: "websocket upgrade with a bad key", parts: [rawReq("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\nHost: x\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: !!\n\n")], closeOk: true },
    ...Array.from({ length: 6 }, (_, i) => ({ what: `random bytes #${i}`, parts: [r.bytes(r.int(1, 2000))], end: i % 2 === 0, closeOk: true })),
  ];
}

// ---- socket.io -------------------------------------------------------------------------------------

function connectSocket(url: string): Promise<Socket> {
  const socket = ioConnect(url, { transports: ["websocket"], reconnection: false, timeout: 5_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** A `frequency` payload the frontend must refuse (anything but a number in range or {freq: one}). */
function badSocketPayload(r: Rng): { args: unknown[]; what: string } {
  switch (r.int(0, 9)) {
    case 0:
      return { args: [badNumber(r)], what: "bad number" };
    case 1:
      return { args: [{ freq: badValue(r) }], what: "{freq: bad}" };
    case 2:
      return { args: [r.ascii(r.int(0, 200))], what: "string" };
    case 3:
      return { args: [badValue(r, 4)], what: "junk value" };
    case 4:
      return { args: [Array.from({ length: r.int(1, 5) }, () => (r.next() < 0.5 ? FREQ : badValue(r, 1)))], what: "array" };
    case 5:
      return { args: [r.bytes(r.int(0, 1000))], what: "binary" };
    case 6:
      return { args: [{ freq: r.bytes(r.int(1, 64)) }], what: "{freq: binary}" };
    case 7: {
      let v: unknown = r.next() < 0.5 ? FREQ : "x";
      for (let i = r.int(10, 300); i > 0; i--) v = r.next() < 0.5 ? [v] : { freq: v };
      return { args: [v], what: "deeply nested" };
    }
    case 8:
      return { args: [r.pick([null, undefined, Number.NaN, Infinity, -Infinity])], what: "null-ish (NaN and Infinity travel as null)" };
    default:
      return { args: [badValue(r, 1), FREQ, { freq: FREQ }], what: "bad first argument, good extras" };
  }
}

/**
 * Emits `count` bad `frequency` events (half with an ack, half without) and unknown events. Every
 * refusal must come back (ack {error} or `frequency-error`), no `frequency` broadcast may arrive.
 */
async function fuzzSocket(url: string, r: Rng, start: number, count: number): Promise<string[]> {
  const failures: string[] = [];
  const socket = await connectSocket(url);
  const watcher = await connectSocket(url);
  const broadcasts: unknown[] = [];
  watcher.on("frequency", (m: unknown) => broadcasts.push(m));
  socket.on("frequency", (m: unknown) => broadcasts.push(m));
  let errorsWithoutAck = 0;
  socket.on("frequency-error", (m: { error?: unknown }) => {
    if (typeof m?.error === "string") errorsWithoutAck++;
  });
  let expectedWithoutAck = 0;
  try {
    const acks: Promise<void>[] = [];
    for (let n = start; n < start + count; n++) {
      const { args, what } = badSocketPayload(r);
      const describe = () => `seed ${SEED} socket case #${n} (${what}): ${show(JSON.stringify(args, (_k, v: unknown) => (Buffer.isBuffer(v) ? `<${v.length} bytes>` : v)) ?? "undefined", 200)}`;
      const roll = r.next();
      if (roll < 0.45) {
        acks.push(
          socket
            .timeout(5_000)
            .emitWithAck("frequency", ...args)
            .then(
              (reply: { error?: unknown; freq?: unknown }) => {
                if (typeof reply?.error !== "string") failures.push(`${describe()}: ack ${JSON.stringify(reply)}`);
              },
              (err: Error) => void failures.push(`${describe()}: no ack (${err.message})`),
            ),
        );
      } else if (roll < 0.9) {
        socket.emit("frequency", ...args);
        expectedWithoutAck++;
      } else {
        // unknown events, and events only the server sends: ignored (a client cannot inject hashes or stats)
        const event = r.pick(["frequencyy", "Frequency", "calculation", "calculations", "stats", "config", "frequency-error", r.ascii(8, "abcxyz-_")]);
        socket.emit(event, ...(event === "calculation" ? [`bursty-${r.ascii(10)}`] : args));
      }
    }
    await Promise.all(acks);
    await waitFor(`${expectedWithoutAck} frequency-error replies`, () => errorsWithoutAck >= expectedWithoutAck, 5_000, 10).catch(() => undefined);
    if (errorsWithoutAck !== expectedWithoutAck) failures.push(`seed ${SEED} socket cases #${start}..#${start + count - 1}: ${errorsWithoutAck} frequency-error replies for ${expectedWithoutAck} refused events without ack`);
    if (broadcasts.length > 0) failures.push(`seed ${SEED} socket cases #${start}..#${start + count - 1}: rate change broadcast ${JSON.stringify(broadcasts.slice(0, 3))}`);
    if (!socket.connected) failures.push(`seed ${SEED} socket cases #${start}..#${start + count - 1}: the server dropped the connection`);
  } finally {
    socket.disconnect();
    watcher.disconnect();
  }
  return failures;
}

/** One engine.io polling session that has joined the main namespace: its sid. */
async function pollingSession(base: string): Promise<string | undefined> {
  const hs = await send(base, { method: "GET", path: "/socket.io/?EIO=4&transport=polling", headers: {} }, false);
  const sid = /"sid":"([^"]+)"/.exec(hs.text ?? "")?.[1];
  if (!sid) return undefined;
  await send(base, { method: "POST", path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`, headers: { "content-type": "text/plain" }, body: Buffer.from("40") }, false);
  return sid;
}

/** Malformed socket.io/engine.io packets, posted raw on a polling session. */
function rawPacket(r: Rng): string | Buffer {
  return r.pick([
    () => `42${r.pick(['["frequency",', "[", "{}", "[1,2]", "[null]", '["frequency"', '"frequency"', "[]", '[["frequency"],{"freq":-1}]', '["frequency",{"freq":1e999}]'])}`,
    () => `42${r.ascii(r.int(0, 200))}`,
    () => `4${r.pick(["5", "51-", "52-", "5-", "6", "9", "0", "1", "3", "4"])}${r.ascii(r.int(0, 40))}`,
    () => `451-["frequency",{"_placeholder":true,"num":${r.pick(["0", "99", "-1", '"x"', "1e9"])}}]`,
    () => `43${r.int(0, 99999)}[${r.ascii(r.int(0, 20))}]`,
    () => `42/${r.ascii(r.int(1, 10), "abcxyz/")},["frequency",{"freq":"x"}]`,
    () => `${r.int(0, 9)}${r.ascii(r.int(0, 100))}`,
    () => `b${r.ascii(r.int(0, 100))}`,
    () => `42["frequency",${"[".repeat(r.int(10, 1000))}`,
    () => Array.from({ length: r.int(2, 20) }, () => `42["frequency",${JSON.stringify(badValue(r, 1)) ?? "null"}]`).join("\x1e"),
    () => r.bytes(r.int(1, 500)),
  ])();
}

/**
 * The same packets as raw websocket frames, each on a fresh connection (a bad one ends it): the
 * session ends or still answers, and no rate change is broadcast.
 */
async function fuzzWebSocketFrames(url: string, r: Rng, start: number, count: number): Promise<string[]> {
  const failures: string[] = [];
  const watcher = await connectSocket(url);
  const broadcasts: unknown[] = [];
  watcher.on("frequency", (m: unknown) => broadcasts.push(m));
  try {
    await pool(
      Array.from({ length: count }, (_, i) => start + i),
      4,
      async (n) => {
        const packet = rawPacket(r);
        const socket = await connectSocket(url);
        try {
          const ended = new Promise<string>((resolve) => socket.once("disconnect", resolve));
          // the websocket under socket.io-client: a frame is one whole engine.io packet, sent as is
          const ws = (socket.io.engine as unknown as { transport: { ws: { send(data: string | Buffer): void } } }).transport.ws;
          ws.send(packet);
          const reason = await within(ended, 300, undefined);
          if (reason === undefined) {
            // still connected: the session must still work (a refusal comes back), or the server ends it
            // (a binary-event header makes it wait for the attachment; the next text packet ends the session)
            const reply = (await socket.timeout(3_000).emitWithAck("frequency", "not a number").catch((err: Error) => ({ failed: err.message }))) as { error?: unknown; failed?: string };
            const ended = reply.failed !== undefined && !socket.connected;
            if (typeof reply.error !== "string" && !ended) failures.push(`seed ${SEED} websocket case #${n}: after frame ${show(packet)} the session answers ${JSON.stringify(reply)}`);
          }
        } finally {
          socket.disconnect();
        }
      },
    );
    if (broadcasts.length > 0) failures.push(`seed ${SEED} websocket cases #${start}..: rate change broadcast ${JSON.stringify(broadcasts.slice(0, 3))}`);
  } finally {
    watcher.disconnect();
  }
  return failures;
}

/**
 * The packets posted on engine.io polling sessions. Only against the built program: engine.io keeps
 * a 30 s timer for each polling session it closes without a poll pending, which would hold an
 * in-process test run open after the end.
 */
async function fuzzPolling(base: string, r: Rng, start: number, count: number): Promise<string[]> {
  const failures: string[] = [];
  await pool(
    Array.from({ length: count }, (_, i) => start + i),
    4,
    async (n) => {
      const packet = rawPacket(r);
      const sid = await pollingSession(base);
      if (!sid) {
        failures.push(`seed ${SEED} polling case #${n}: no engine.io session`);
        return;
      }
      const body = typeof packet === "string" ? Buffer.from(packet, "utf8") : packet;
      const o = await send(base, { method: "POST", path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`, headers: { "content-type": "text/plain" }, body }, false, 3_000);
      // a valid HTTP request carrying a bad packet: engine.io takes it (200 "ok") and drops the session, or refuses it (4xx)
      if (o.status === undefined || !(o.status === 200 || is4xx(o.status))) failures.push(`seed ${SEED} polling case #${n}: packet ${show(body)} -> ${o.status ?? "no response"} ${o.error ?? ""}`);
      // the session is closed, or still answers a poll
      const poll = await send(base, { method: "GET", path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`, headers: {} }, false, 3_000);
      if (poll.status === undefined || poll.status >= 500) failures.push(`seed ${SEED} polling case #${n}: poll after packet ${show(body)} -> ${poll.status ?? "no response"} ${poll.error ?? ""}`);
    },
  );
  return failures;
}

// ---- the runs --------------------------------------------------------------------------------------

let redis: RedisServer;
let processor: Awaited<ReturnType<typeof startCountingProcessor>>;
beforeAll(async () => {
  redis = await startRedis();
  processor = await startCountingProcessor();
  // eslint-disable-next-line no-console
  console.log(`frontend fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
});
afterAll(async () => {
  await processor?.close();
  await redis?.dispose();
});

type Stats = { freq: number; sent: number; hashes: { primary: number; burst: number } };
async function stats(base: string): Promise<Stats> {
  const o = await send(base, { method: "GET", path: "/api/stats", headers: {} }, false);
  expect(o.status).toBe(200);
  return JSON.parse(o.text ?? "") as Stats;
}

/** Sets FREQ with a valid request (the only rate change in the run) and returns when it took. */
async function setRate(base: string): Promise<{ at: number; sent: number }> {
  const o = await send(base, { method: "POST", path: "/api/frequency", headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ freq: FREQ })) }, false);
  expect({ status: o.status, text: o.text }).toEqual({ status: 200, text: JSON.stringify({ freq: FREQ }) });
  return { at: performance.now(), sent: (await stats(base)).sent };
}

/** The rate is still FREQ and calls were paced at it since `since` (within ±20 % + 3). */
async function expectRateKept(base: string, since: { at: number; sent: number }): Promise<void> {
  const s = await stats(base);
  const elapsed = (performance.now() - since.at) / 1000;
  const expected = FREQ * elapsed;
  expect(s.freq).toBe(FREQ);
  expect(Math.abs(s.sent - since.sent - expected)).toBeLessThanOrEqual(expected * 0.2 + 3);
  expect(s.hashes).toEqual({ primary: 0, burst: 0 });
}

describe("frontend in-process (createFrontend) under bad input", () => {
  let fe: { frontend: Frontend; url: string };
  let port: number;
  let agent: Agent;
  let rate: { at: number; sent: number };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    const frontend = createFrontend(
      { port: 0, processorUrl: processor.url, redisUrl: redis.url, burstPrefix: "bursty-", maxFreq: MAX_FREQ, initialFreq: 0, requestTimeoutMs: 5_000, maxInFlight: 500 },
      { log: createLogger("frontend", "silent"), drainMs: 1_000 },
    );
    useShortTimeouts(frontend.server);
    port = await listen(frontend.server, 0, "127.0.0.1");
    fe = { frontend, url: `http://127.0.0.1:${port}` };
    await untilHealthy("frontend ready", fe.url);
    agent = new Agent({ keepAlive: true, maxSockets: 8 });
    rate = await setRate(fe.url);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    agent?.destroy();
    await fe?.frontend.close();
  });

  const expectUnchanged = async () => {
    expect(fe.frontend.stats.freq).toBe(FREQ);
    expect(fe.frontend.pacer.rate).toBe(FREQ);
    await expectRateKept(fe.url, rate);
  };

  it("refuses 1,200 random bad HTTP requests with a 4xx and keeps its rate", async () => {
    const r = prng(SEED);
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 4; batch++) {
      const cases = httpCases(r, batch * 300, 300);
      for (const c of cases) counts[c.expectedText] = (counts[c.expectedText] ?? 0) + 1;
      expect((await runHttpBatch(fe.url, cases, agent)).slice(0, 10)).toEqual([]);
      await expectUnchanged();
    }
    // eslint-disable-next-line no-console
    console.log(`frontend fuzz: HTTP cases by expected status ${JSON.stringify(counts)}`);
    // no JSON body managed to reach Object.prototype
    expect(({} as { freq?: unknown; polluted?: unknown }).freq).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(unhandled).toEqual([]);
  });

  it("refuses 800 junk `frequency` events over socket.io (ack or frequency-error), ignores unknown events, keeps its rate", async () => {
    const r = prng(SEED ^ 0x50c);
    for (let batch = 0; batch < 4; batch++) {
      expect((await fuzzSocket(fe.url, r, batch * 200, 200)).slice(0, 10)).toEqual([]);
      await expectUnchanged();
    }
    // a message over maxHttpBufferSize ends that client's connection, not the server
    const big = await connectSocket(fe.url);
    const closed = new Promise<string>((resolve) => big.once("disconnect", resolve));
    big.emit("frequency", { freq: FREQ, pad: "x".repeat(10_000) });
    expect(await within(closed, 5_000, "still connected")).not.toBe("still connected");
    big.disconnect();
    // a valid client is still served: the same rate, acknowledged
    const ok = await connectSocket(fe.url);
    try {
      expect(await ok.timeout(5_000).emitWithAck("frequency", { freq: FREQ })).toEqual({ freq: FREQ });
    } finally {
      ok.disconnect();
    }
    await expectUnchanged();
    expect(unhandled).toEqual([]);
  });

  it("survives 200 malformed engine.io/socket.io packets as raw websocket frames", async () => {
    const r = prng(SEED ^ 0xe10);
    expect((await fuzzWebSocketFrames(fe.url, r, 0, 200)).slice(0, 10)).toEqual([]);
    await expectUnchanged();
    expect(unhandled).toEqual([]);
  });

  it("answers malformed raw HTTP with a 4xx or a close, never a 2xx/5xx or a hang", async () => {
    const cases = rawCases(prng(SEED ^ 0x7a3));
    const results = await pool(cases, 6, (c) => raw(port, c.parts, { end: c.end }));
    const failures = cases
      .map((c, i) => {
        const res = results[i];
        const all4xx = res.statuses.length > 0 && res.statuses.every(is4xx);
        const bad = res.statuses.some((s) => !is4xx(s)) ? `answered ${res.statuses}` : res.timedOut && !all4xx ? `no answer, no close after ${res.ms} ms` : !all4xx && !c.closeOk ? "closed without a 4xx" : undefined;
        return bad && `seed ${SEED} raw case "${c.what}": ${bad}; received ${show(res.raw, 200)}`;
      })
      .filter(Boolean);
    expect(failures).toEqual([]);
    await expectUnchanged();
  });

  it("cuts off slow clients (truncated bodies, slowloris) by its timeouts, while serving others", async () => {
    const slow = slowClientCases({ post: "POST /api/frequency", partialBody: '{"freq":', slowlorisRequest: "GET /api/stats", trickleByte: " ", partialLine: "GET /api/sta" });
    const pending = Promise.all(slow.map((c) => raw(port, c.parts, { waitMs: 6_000 })));
    // meanwhile valid requests are served
    for (let i = 0; i < 3; i++) expect((await stats(fe.url)).freq).toBe(FREQ);
    const results = await pending;
    const failures = slow
      .map((c, i) => {
        const res = results[i];
        const bad = res.statuses.some((s) => !is4xx(s)) ? `answered ${res.statuses}` : !res.closed || res.ms > SLOW_CLOSED_WITHIN_MS ? `not closed within ${SLOW_CLOSED_WITHIN_MS} ms (${res.ms} ms)` : undefined;
        return bad && `raw slow case "${c.what}": ${bad}; received ${show(res.raw, 200)}`;
      })
      .filter(Boolean);
    expect(failures).toEqual([]);
    await expectUnchanged();
  });
});

describe("the built frontend program under bad input", () => {
  let child: ChildProcess;
  let output: () => string = () => "";
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const program = runProgram(builtProgram("apps/frontend/dist/index.js"), { PORT: String(port), REDIS_URL: redis.hostPort, PROCESSOR_URL: processor.url, MAX_FREQ: String(MAX_FREQ) });
    child = program.child;
    output = program.output;
    await untilHealthy("frontend program ready", url);
  });
  afterAll(async () => {
    if (child) await stopChild(child);
  });

  it("survives bad HTTP, junk socket.io events and packets with its rate kept, then exits 0 on SIGTERM", async () => {
    const rate = await setRate(url);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      expect((await runHttpBatch(url, httpCases(prng(SEED + 1), 0, 300), agent)).slice(0, 10)).toEqual([]);
      expect((await fuzzSocket(url, prng(SEED + 2), 0, 200)).slice(0, 10)).toEqual([]);
      expect((await fuzzWebSocketFrames(url, prng(SEED + 3), 0, 50)).slice(0, 10)).toEqual([]);
      expect((await fuzzPolling(url, prng(SEED + 4), 0, 100)).slice(0, 10)).toEqual([]);
    } finally {
      agent.destroy();
    }
    await expectRateKept(url, rate);
    expect({ exitCode: child.exitCode, signal: child.signalCode }).toEqual({ exitCode: null, signal: null });
    expect(output()).not.toMatch(/uncaught|unhandled|"level":60/i);
    // refusals are not errors: nothing logged at error level
    expect(output()).not.toMatch(/"level":50/);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await within(exited, 10_000, "still running")).toBe(0);
  });
});
