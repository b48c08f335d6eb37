/**
 * A signal that aborts on SIGINT, SIGTERM or SIGHUP, or when the process that started this one has
 * gone without passing a signal on (npm does not forward SIGHUP; nothing forwards SIGKILL): this
 * process then has a new parent, and stops. A second signal, a second after the first, exits at once.
 */
export function stopSignal(name: string): AbortSignal {
  const abort = new AbortController();
  let firstAt = 0;
  const stop = (why: string) => {
    firstAt = Date.now();
    process.stdout.write(`\n${name}: ${why}: stopping (Ctrl-C again to force)\n`);
    abort.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === 0) stop(signal);
    else if (Date.now() - firstAt > 1_000) process.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && firstAt === 0) stop(`its parent (pid ${parent}) has gone`);
  }, 500).unref();
  return abort.signal;
}
