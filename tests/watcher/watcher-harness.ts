/** The watcher's in-process tests' stand-ins: a scripted metrics source and a log that keeps its lines. */
import { Writable } from "node:stream";
import pino from "pino";
import type { Sample } from "../../watcher/src/decide";
import type { MetricsSource } from "../../watcher/src/prometheus";

/** A metrics source that answers what the test sets. */
export class ScriptedSource implements MetricsSource {
  next: Sample = { kind: "value", rps: 0 };
  calls: { burstInUse: boolean }[] = [];
  async sample(ctx: { burstInUse: boolean }): Promise<Sample> {
    this.calls.push(ctx);
    return this.next;
  }
  rps(n: number) {
    this.next = { kind: "value", rps: n };
  }
}

export function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

