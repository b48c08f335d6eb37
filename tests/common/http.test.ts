/** common's HTTP helpers in-process: readJsonBody against a real node:http server. */
import { createServer, type Server } from "node:http";
import { listen, readJsonBody, sendJson } from "@istio-burst/common";

describe("readJsonBody", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      void readJsonBody(req, res, {
        limit: 64,
        requirement: 'a JSON object {"n": n} with n a number',
        parse: (body) => {
          const n = (body as { n?: unknown } | null)?.n;
          return typeof n === "number" ? n : undefined;
        },
        headers: { "cache-control": "no-store" },
      }).then((n) => n !== undefined && sendJson(res, 200, { n }));
    });
    url = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const put = async (body: string) => {
    const res = await fetch(url, { method: "PUT", body });
    return { status: res.status, cache: res.headers.get("cache-control"), body: (await res.json()) as Record<string, unknown> };
  };

  it("gives the checked value to the handler", async () => {
    expect(await put('{"n": 3}')).toMatchObject({ status: 200, body: { n: 3 } });
  });

  it.each([
    ["not JSON", "{n", 'body is not valid JSON: body must be a JSON object {"n": n} with n a number'],
    ["not what the rule takes", '{"n": "3"}', 'body must be a JSON object {"n": n} with n a number'],
  ])("answers 400 for a body that is %s, saying what it must be", async (_what, body, error) => {
    expect(await put(body)).toEqual({ status: 400, cache: "no-store", body: { error } });
  });

  it("answers 413 for a body over the limit", async () => {
    expect(await put(JSON.stringify({ n: 1, pad: "x".repeat(100) }))).toEqual({ status: 413, cache: "no-store", body: { error: "request body is larger than 64 bytes" } });
  });
});
