/**
 * The floor the worker is measured against: the smallest server a skilled engineer would write for the
 * same job, with nothing else in it: node:http, one JSON.parse, sha256 with node:crypto, one Redis
 * publish, a JSON answer. No validation beyond what keeps it alive, no metrics, no logging.
 * Env: PORT, REDIS_URL (redis:// URL).
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { CHANNEL } from "@istio-burst/contract";
import Redis from "ioredis";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    let str: string;
    try {
      str = String(JSON.parse(Buffer.concat(chunks).toString()).str);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const hash = createHash("sha256").update(str).digest("base64");
    redis.publish(CHANNEL, hash).then(
      () => {
        const body = JSON.stringify({ hash });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
      },
      () => res.writeHead(503).end(),
    );
  });
});
server.listen(Number(process.env.PORT ?? 8091), "127.0.0.1");
process.on("SIGTERM", () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
