import { ConfigError, Env } from "@istio-burst/common";

describe("Env", () => {
  const env = (vars: Record<string, string>) => new Env(vars);

  it("uses defaults for unset and empty variables", () => {
    expect(env({}).integer("PORT", 8081)).toBe(8081);
    expect(env({ PORT: " " }).port("PORT", 8081)).toBe(8081);
    expect(env({}).duration("POLL_INTERVAL", 1000)).toBe(1000);
  });

  it("parses set values", () => {
    expect(env({ PORT: "9000" }).port("PORT", 1)).toBe(9000);
    expect(env({ D: "250ms" }).duration("D", 1)).toBe(250);
    expect(env({ M: "overflow" }).oneOf("M", ["switch", "overflow"], "switch")).toBe("overflow");
    expect(env({ B: "true" }).boolean("B", false)).toBe(true);
    expect(env({ R: "redis-cache-service:6379" }).redisUrl("R", "x:1")).toBe("redis://redis-cache-service:6379");
    expect(env({ R: "redis://:pw@10.0.0.1:6380/0" }).redisUrl("R", "x:1")).toBe("redis://:pw@10.0.0.1:6380/0");
  });

  it.each<[string, (e: Env) => unknown, RegExp]>([
    ["PORT", (e) => e.port("PORT", 1), /^PORT="70000" is invalid: must be an integer from 0 to 65535$/],
    ["PORT", (e) => e.port("PORT", 1), /^PORT="80a" is invalid/],
    ["HASH_ROUNDS", (e) => e.integer("HASH_ROUNDS", 1, { min: 1 }), /^HASH_ROUNDS="0" is invalid: must be an integer of at least 1$/],
    ["MIN_DWELL", (e) => e.duration("MIN_DWELL", 1), /^MIN_DWELL="soon" is invalid: must be a duration/],
    ["MODE", (e) => e.oneOf("MODE", ["switch", "overflow"], "switch"), /^MODE="both" is invalid: must be one of switch, overflow$/],
    ["DRY_RUN", (e) => e.boolean("DRY_RUN", false), /^DRY_RUN="maybe" is invalid: must be true or false$/],
    ["PROMETHEUS_URL", (e) => e.url("PROMETHEUS_URL"), /^PROMETHEUS_URL="ftp:\/\/x" is invalid/],
    ["REDIS_URL", (e) => e.redisUrl("REDIS_URL", "x:1"), /^REDIS_URL="localhost" is invalid: must be host:port or a redis:\/\/ URL$/],
  ])("%s: a bad value throws a ConfigError naming it", (name, read, message) => {
    const bad: Record<string, string> = {
      PORT: "70000", HASH_ROUNDS: "0", MIN_DWELL: "soon", MODE: "both", DRY_RUN: "maybe", PROMETHEUS_URL: "ftp://x", REDIS_URL: "localhost",
    };
    const e = env({ [name]: message.source.includes("80a") ? "80a" : bad[name] });
    let caught: unknown;
    try {
      read(e);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(name);
    expect((caught as Error).message).toMatch(message);
  });
});
