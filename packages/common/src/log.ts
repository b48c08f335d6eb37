import pino from "pino";

export type Logger = pino.Logger;

/** JSON lines on stdout; LOG_LEVEL (default info) sets the level. */
export function createLogger(service: string, level = process.env.LOG_LEVEL || "info"): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
