/**
 * Local mode follows the watcher's weight changes through its typed `GET /status` (WatcherStatus):
 * each poll hands on the changes in `recentChanges` whose `seq` is above the last one seen, so none
 * is missed between polls. A poll that fails (the watcher restarting) is skipped. A restarted watcher
 * counts from 1 again; that shows as `changes` below the last seq seen, or as another change under it.
 */
import type { WatcherStatus, WeightChange } from "@istio-burst/contract";
import { httpGet } from "@istio-burst/tooling";

/** The watcher's /status, or undefined when it does not answer 200 with JSON. */
export async function readStatus(watcherUrl: string, timeoutMs = 1_000): Promise<WatcherStatus | undefined> {
  const res = await httpGet(`${watcherUrl}/status`, timeoutMs);
  if (res?.status !== 200) return undefined;
  try {
    return JSON.parse(res.body) as WatcherStatus;
  } catch {
    return undefined;
  }
}

/** The changes in `status` not seen yet, oldest first, given the last one seen. */
export function newChanges(status: WatcherStatus, last: WeightChange | undefined): WeightChange[] {
  const underLastSeq = last && status.recentChanges.find((c) => c.seq === last.seq);
  const restarted = last !== undefined && (status.changes < last.seq || (underLastSeq !== undefined && underLastSeq.at !== last.at));
  const after = last && !restarted ? last.seq : 0;
  return status.recentChanges.filter((c) => c.seq > after);
}

/** Polls the watcher every `everyMs` and calls `onChange` for each new change, in order, until stop(). */
export function followWeightChanges(watcherUrl: string, onChange: (c: WeightChange) => void, everyMs = 250): { stop(): void } {
  let last: WeightChange | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const status = await readStatus(watcherUrl);
    if (stopped || !Array.isArray(status?.recentChanges)) return;
    for (const change of newChanges(status, last)) {
      last = change;
      onChange(change);
    }
  };
  const loop = () => {
    poll()
      .catch(() => undefined) // a consumer's error must not stop the feed
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, everyMs);
      });
  };
  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** One line per change: `14:56:16  weights primary   0 / burst 100  to-burst: <the watcher's reason>`. */
export function formatWeightChange(c: WeightChange): string {
  const t = new Date(c.at);
  const hhmmss = Number.isNaN(t.getTime()) ? c.at : t.toTimeString().slice(0, 8);
  const pad = (n: number) => String(n).padStart(3);
  return `${hhmmss}  weights primary ${pad(c.to.primary)} / burst ${pad(c.to.burst)}  ${c.action}: ${c.reason}${c.dryRun ? " (dry run: not applied)" : ""}`;
}
