/** The local scaler (SCALER=local) against a small HTTP pool that answers GET and PUT /scale as local mode's does. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalScaler } from "../../../watcher/src/scalers/local";

describe("local scaler (local mode's pool)", () => {
  it("GET and PUT /scale, errors and the timeout", async () => {
    let pool = { desired: 0, ready: 0 };
    let hang = false;
    const puts: unknown[] = [];
    const server = createServer((req, res) => {
      if (hang) return;
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (req.url !== "/scale") {
          res.writeHead(404).end();
          return;
        }
        if (req.method === "PUT") {
          const b = JSON.parse(body) as { replicas: unknown };
          puts.push(b);
          if (typeof b.replicas !== "number" || b.replicas > 5) {
            res.writeHead(400, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: "replicas must be an integer in 0..5" }));
            return;
          }
          pool = { desired: b.replicas, ready: pool.ready };
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(pool));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const s = new LocalScaler({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 300 });
      expect(await s.get()).toEqual({ desired: 0, ready: 0 });
      await s.scale(2);
      expect(puts).toEqual([{ replicas: 2 }]);
      expect(await s.get()).toEqual({ desired: 2, ready: 0 });
      await expect(s.scale(9)).rejects.toThrow(/HTTP 400: replicas must be an integer in 0..5/);
      hang = true;
      await expect(s.get()).rejects.toThrow(/timed out after 300 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
