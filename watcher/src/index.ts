/** The runnable watcher: parse the configuration once (fail fast), then run until SIGTERM/SIGINT. */
import { runMain } from "@istio-burst/common";
import { createWatcherApp } from "./app";
import { loadConfig } from "./config";

runMain("watcher", async () => {
  const config = loadConfig(process.env);
  const app = await createWatcherApp(config);
  await app.start();
  return { log: app.log, stop: () => app.stop() };
});
