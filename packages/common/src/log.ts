import { writeSync } from "node:fs";
import pino from "pino";

export type Logger = pino.Logger;

/** How long one line may wait for a full pipe to drain before it is dropped. */
const FULL_PIPE_WAIT_MS = 1_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes each line to a file descriptor at once, synchronously, and never blocks an exit.
 *
 * pino's default destination buffers lines and, at process exit, flushes the buffer in a loop
 * that retries every failed write. When nobody reads stdout any more (the process that started
 * the service has gone: every write fails with EPIPE), that loop never ends: the service hangs
 * inside process.exit() and ignores SIGTERM for good. Here nothing is buffered, so there is
 * nothing to flush at exit; a full pipe is waited for a little (then the line is dropped), and a
 * write error (EPIPE, EBADF) turns logging off for the rest of the process.
 */
export class LineWriter {
  private off = false;

  constructor(private readonly fd: number) {}

  /** False once a write failed and logging went off. */
  get writing(): boolean {
    return !this.off;
  }

  write(line: string): void {
    if (this.off) return;
    let buf = Buffer.from(line, "utf8");
    let waitedMs = 0;
    while (buf.length > 0) {
      try {
        buf = buf.subarray(writeSync(this.fd, buf));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") {
          // A pipe whose reader is slow: wait a little, then drop the line rather than stall the service.
          if (waitedMs >= FULL_PIPE_WAIT_MS) return;
          Atomics.wait(pause, 0, 0, 10);
          waitedMs += 10;
          continue;
        }
        this.off = true;
        return;
      }
    }
  }
}

/** JSON lines on stdout; LOG_LEVEL (default info) sets the level. */
export function createLogger(service: string, level = process.env.LOG_LEVEL || "info", dest: { write(line: string): void } = new LineWriter(1)): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}
