/** The process helpers, for the tests that import them from here. */
export { freePort, makeTempDir, requireProgram, sleep, startRedis, stopChild, waitFor, type RedisServer } from "../../packages/tooling/src/processes";
