import { createLogger, listen, runMain } from "@istio-burst/common";
import { createWorker } from "./app";
import { loadConfig } from "./config";

runMain("worker", async () => {
  const config = loadConfig();
  const log = createLogger("worker");
  const worker = createWorker(config, { log });
  const port = await listen(worker.server, config.port);
  log.info({ port, prefix: config.prefix, hashRounds: config.hashRounds }, "worker listening");
  return { log, stop: worker.close };
});
