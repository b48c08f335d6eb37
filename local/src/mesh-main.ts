/**
 * Runs the local mesh alone: `node local/dist/mesh-main.js`.
 *
 * Env: `PORT` (data port, forwarded traffic; default 15001), `ADMIN_PORT` (/weights, /metrics,
 * /_healthz; default 15000), `HOST` (default 127.0.0.1), `PRIMARY_UPSTREAMS` and `BURST_UPSTREAMS`
 * (comma-separated `http://host:port` or `host:port` of each pool's processes; may be empty),
 * `WEIGHTS` (initial `primary,burst`, default `100,0`), `NAMESPACE` (default `default`),
 * `UPSTREAM_TIMEOUT` (default 30s).
 */
import { ConfigError, createLogger, Env, runMain } from "@istio-burst/common";
import { DEFAULT_NAMESPACE, parseWeights, PRIMARY_ONLY, WEIGHTS_REQUIREMENT } from "@istio-burst/contract";
import { createMesh, parseUpstreams } from "./mesh";

runMain("mesh", async () => {
  const env = new Env();
  const dataPort = env.port("PORT", 15001);
  const adminPort = env.port("ADMIN_PORT", 15000);
  const host = env.string("HOST", "127.0.0.1");
  const upstreams = {
    primary: parseUpstreams("PRIMARY_UPSTREAMS", env.raw("PRIMARY_UPSTREAMS")),
    burst: parseUpstreams("BURST_UPSTREAMS", env.raw("BURST_UPSTREAMS")),
  };
  const rawWeights = env.raw("WEIGHTS");
  const weights = rawWeights === undefined ? PRIMARY_ONLY : parseWeights(rawWeights);
  if (!weights) throw new ConfigError("WEIGHTS", WEIGHTS_REQUIREMENT, rawWeights);
  const namespace = env.string("NAMESPACE", DEFAULT_NAMESPACE);
  const upstreamTimeoutMs = env.duration("UPSTREAM_TIMEOUT", 30_000, { minMs: 1 });
  const log = createLogger("mesh");
  const mesh = createMesh({ upstreams, weights, upstreamTimeoutMs, namespace, log });
  const addr = await mesh.listen({ host, dataPort, adminPort });
  log.info({ ...addr, upstreams, weights }, "local mesh listening");
  return { log, stop: () => mesh.close() };
});
