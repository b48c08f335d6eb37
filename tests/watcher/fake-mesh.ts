/** A tiny stand-in for the local mesh's weights API: GET/PUT /weights, 400 on bad weights. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MeshWeights {
  primary: number;
  burst: number;
}

export interface FakeMesh {
  readonly url: string;
  weights: MeshWeights;
  /** Bodies of every PUT, in order (including refused ones). */
  readonly puts: unknown[];
  /** Answer the next `n` requests with 503. */
  failNext(n: number): void;
  close(): Promise<void>;
}

const valid = (w: unknown): w is MeshWeights => {
  if (typeof w !== "object" || w === null) return false;
  const { primary, burst } = w as Record<string, unknown>;
  const ok = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100;
  return ok(primary) && ok(burst) && (primary as number) + (burst as number) === 100 && Object.keys(w).length === 2;
};

export async function startFakeMesh(initial: MeshWeights): Promise<FakeMesh> {
  let failures = 0;
  const mesh = {
    url: "",
    weights: { ...initial },
    puts: [] as unknown[],
    failNext(n: number) {
      failures = n;
    },
    close: async (): Promise<void> => undefined,
  };
  const send = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url !== "/weights") return send(res, 404, { error: "not found" });
      if (failures > 0) {
        failures--;
        return send(res, 503, { error: "mesh unavailable" });
      }
      if (req.method === "GET") return send(res, 200, mesh.weights);
      if (req.method !== "PUT") return send(res, 405, { error: "GET or PUT" });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        mesh.puts.push(undefined);
        return send(res, 400, { error: "body must be JSON" });
      }
      mesh.puts.push(body);
      if (!valid(body)) return send(res, 400, { error: "primary and burst must be integers in 0..100 summing to 100" });
      mesh.weights = { primary: body.primary, burst: body.burst };
      return send(res, 200, mesh.weights);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  mesh.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mesh.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return mesh;
}
