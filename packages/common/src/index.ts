export { ConfigError, Env } from "./env";
export { createLogger, LineWriter, type Logger } from "./log";
export { createRegistry } from "./metrics";
export { applyServerTimeouts, BodyTooLargeError, drainAndClose, listen, readBody, runMain, sendJson } from "./http";
