import { durationRequirement, inBounds, numberRequirement, parseBoolean, parseDuration } from "@istio-burst/contract";

/** A configuration value that cannot be used; its message is one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly requirement: string,
    readonly value?: string,
  ) {
    super(
      value === undefined
        ? `${variable} is required: must be ${requirement}`
        : `${variable}=${JSON.stringify(value)} is invalid: must be ${requirement}`,
    );
    this.name = "ConfigError";
  }
}

/**
 * Typed, validated reads of environment variables. An unset or empty variable takes the default;
 * a set one must parse, else a ConfigError names it and says what it must be.
 */
export class Env {
  constructor(private readonly vars: NodeJS.ProcessEnv = process.env) {}

  /** The raw value, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const v = this.vars[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  }

  string(name: string, fallback?: string): string {
    const v = this.vars[name] ?? fallback;
    if (v === undefined) throw new ConfigError(name, "a non-empty string");
    return v;
  }

  number(name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const { integer = false, ...bounds } = opts;
    const n = Number(raw);
    const ok = Number.isFinite(n) && inBounds(bounds, n) && (!integer || Number.isInteger(n));
    if (!ok) throw new ConfigError(name, numberRequirement(integer ? "integer" : "number", bounds), raw);
    return n;
  }

  integer(name: string, fallback: number, opts: { min?: number; max?: number } = {}): number {
    return this.number(name, fallback, { ...opts, integer: true });
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 0, max: 65535 });
  }

  /** A duration in milliseconds (see parseDuration). */
  duration(name: string, fallbackMs: number, opts: { minMs?: number } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallbackMs;
    const ms = parseDuration(raw);
    const minMs = opts.minMs ?? 0;
    if (ms === undefined || ms < minMs) {
      throw new ConfigError(name, durationRequirement(minMs), raw);
    }
    return ms;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `one of ${values.join(", ")}`, raw);
    return raw as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const v = parseBoolean(raw);
    if (v === undefined) throw new ConfigError(name, "true or false", raw);
    return v;
  }

  /** An absolute http(s) URL. */
  url(name: string, fallback?: string): string {
    const raw = this.raw(name) ?? fallback;
    if (raw === undefined) throw new ConfigError(name, "an http:// or https:// URL");
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new ConfigError(name, "an http:// or https:// URL", raw);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(name, "an http:// or https:// URL", raw);
    return raw;
  }

  /**
   * A Redis address: `host:port` (as the 2018 codelab passes it) or a `redis://` / `rediss://` URL
   * (which may carry credentials). Returns a URL that ioredis accepts.
   */
  redisUrl(name: string, fallback: string): string {
    const raw = this.raw(name) ?? fallback;
    const requirement = "host:port or a redis:// URL";
    if (/^rediss?:\/\//.test(raw)) {
      try {
        const u = new URL(raw);
        if (!u.hostname) throw new Error("no host");
        return raw;
      } catch {
        throw new ConfigError(name, requirement, raw);
      }
    }
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(raw);
    if (!m || Number(m[2]) > 65535) throw new ConfigError(name, requirement, raw);
    return `redis://${raw}`;
  }
}
