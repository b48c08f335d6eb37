import { createLogger, listen, runMain } from "@istio-burst/common";
import { createFrontend } from "./app";
import { loadConfig } from "./config";

runMain("frontend", async () => {
  const config = loadConfig();
  const log = createLogger("frontend");
  const frontend = createFrontend(config, { log });
  const port = await listen(frontend.server, config.port);
  log.info(
    { port, processorUrl: config.processorUrl, burstPrefix: config.burstPrefix, maxFreq: config.maxFreq, maxInFlight: config.maxInFlight },
    "frontend listening",
  );
  return { log, stop: frontend.close };
});
