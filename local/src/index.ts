/**
 * Local mode: `npm run local -- [flags]` or `node local/dist/index.js [flags]`.
 * Importing this module starts nothing; use startLocal() to drive local mode from code.
 */
import { parseLocalConfig, usage, UsageError } from "./config";
import { startLocal } from "./run";

export { LOCAL_SETTINGS, parseLocalConfig, resolveConfig, usage, UsageError, type LocalConfig, type LocalSettings } from "./config";
export { createMesh, type Mesh, type MeshOptions } from "./mesh";
export * from "./processes";
export { renderPrometheusConfig, type PrometheusConfigOptions, type ScrapeJob } from "./prometheus-config";
export { BurstPool, scaleServer, type PoolMember, type ScaleState } from "./burst-pool";
export { startLocal, StartLocalError, type BurstPoolControl, type LocalExit, type LocalRun, type LocalUrls, type PartInfo, type StartLocalOptions } from "./run";
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
  const stop = stopSignal();
  let run;
  try {
    run = await startLocal({ ...parsed.config, signal: stop });
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

/**
 * Aborts on SIGINT, SIGTERM or SIGHUP (a second one after 1 s forces the exit), and when the process
 * that started local mode has gone without passing a signal on (npm does not forward SIGHUP; nothing
 * forwards SIGKILL): local mode then has a new parent, and stops.
 */
function stopSignal(): AbortSignal {
  const abort = new AbortController();
  let firstSignalAt = 0;
  const stopAll = (why: string) => {
    firstSignalAt = Date.now();
    process.stdout.write(`\nlocal: ${why}: stopping every part (Ctrl-C again to force)\n`);
    abort.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === 0) {
      stopAll(signal);
    } else if (Date.now() - firstSignalAt > 1_000) {
      // (a second signal within 1 s is the same Ctrl-C, forwarded by npm as well as sent by the terminal)
      process.stderr.write("local: forced exit; killing every part\n");
      process.exit(130); // the supervisor's exit hook SIGKILLs the children
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent && firstSignalAt === 0) stopAll(`its parent (pid ${parent}) has gone`);
  }, 500);
  parentWatch.unref();
  return abort.signal;
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
