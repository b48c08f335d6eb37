/**
 * Local mode: `npm run local -- [flags]` or `node local/dist/index.js [flags]`.
 * Importing this module starts nothing; use startLocal() to drive local mode from code.
 */
import { parseLocalConfig, usage, UsageError } from "./config";
import { stopSignal } from "@istio-burst/tooling";
import { startLocalWith } from "./run";

export { LOCAL_SETTINGS, parseLocalConfig, resolveConfig, usage, UsageError, type LocalConfig, type LocalSettings } from "./config";
export { createMesh, type Mesh, type MeshOptions } from "./mesh";
export * from "@istio-burst/tooling";
export { startPrometheus, type PrometheusServer } from "./prometheus-server";
export { renderPrometheusConfig, type PrometheusConfigOptions, type ScrapeJob } from "./prometheus-config";
export { BurstPool, scaleServer, type PoolMember, type ScaleState } from "./burst-pool";
export {
  startLocal,
  startLocalWith,
  StartLocalError,
  type BurstPoolControl,
  type LocalExit,
  type LocalRun,
  type LocalUrls,
  type PartInfo,
  type RunOptions,
  type StartLocalOptions,
} from "./run";
export { pidAlive } from "./supervisor";

/** The CLI: parse once, start, wait for Ctrl-C or a child's death. Resolves to the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let parsed;
  try {
    parsed = parseLocalConfig(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`local: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(usage());
    return 0;
  }
  // A closed terminal or pipe must not crash local mode before it has stopped its parts.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const stop = stopSignal("local", "stopping every part");
  let run;
  try {
    run = await startLocalWith(parsed.config, { signal: stop });
  } catch (err) {
    if (stop.aborted) {
      process.stdout.write("local: stopped during start-up\n");
      return 0;
    }
    process.stderr.write(`local: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const exit = await run.done;
  if (exit.code === 0) process.stdout.write(`local: every part stopped; ${run.config.keepTemp ? `temp files kept in ${run.tempDir}` : "temp files removed"}\n`);
  else process.stderr.write(`local: stopped because ${exit.death?.name ?? "a part"} died\n`);
  return exit.code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`local: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
