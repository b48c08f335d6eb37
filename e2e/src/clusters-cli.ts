/**
 * `npm run clusters`: the two local control planes of the end-to-end tests, for people: "primary" and
 * "burst" on 127.0.0.1 with kwok nodes shaped like the stack's, their kubeconfigs printed, until
 * Ctrl-C (or SIGTERM, SIGHUP, or the death of whoever started it); then every process ends and the
 * folder is removed. Every process runs under a parent-death signal, so even a SIGKILL leaves no
 * process; the folder of a run killed so is removed by the next one.
 */
import { join } from "node:path";
import { stopSignal } from "../../packages/tooling/src/processes";
import { startClusters } from "./clusters";
import { ensureTools } from "./tools";

async function main(): Promise<number> {
  const signal = stopSignal("clusters");
  const tools = ensureTools();
  const clusters = await startClusters(tools, { burst: { aggregatorRouting: true } });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  for (const line of clusters.describe()) say(`clusters: ${line}`);
  say(`clusters: kubeconfigs (self-contained, usable as istio-burst:primaryKubeconfig and istio-burst:burstKubeconfig):`);
  say(`  export KUBECONFIG=${clusters.primary.kubeconfigFile}    # primary`);
  say(`  export KUBECONFIG=${clusters.burst.kubeconfigFile}      # burst`);
  say(`clusters: logs in ${join(clusters.dir, "primary")} and ${join(clusters.dir, "burst")}; Ctrl-C stops both and removes ${clusters.dir}`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve());
    const health = setInterval(() => {
      try {
        clusters.primary.plane.checkRunning();
        clusters.burst.plane.checkRunning();
      } catch (err) {
        process.stderr.write(`clusters: ${(err as Error).message}\n`);
        clearInterval(health);
        resolve();
      }
    }, 1_000);
    signal.addEventListener("abort", () => clearInterval(health));
  });
  await clusters.stop();
  say("clusters: stopped; every process ended, the folder removed");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`clusters: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
