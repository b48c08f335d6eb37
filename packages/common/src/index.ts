export { ConfigError, Env } from "./env";
export { createLogger, LineWriter, type Logger } from "./log";
export { createRegistry, sendMetrics } from "./metrics";
export { applyServerTimeouts, BodyTooLargeError, drainAndClose, listen, readBody, readJsonBody, runMain, sendJson, type JsonBodyRule } from "./http";
