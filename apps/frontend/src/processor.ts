import { Agent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Logger } from "@istio-burst/common";
import type { Stats } from "./stats";

/**
 * Calls the worker: `POST PROCESSOR_URL {"str": ...}` on keep-alive connections, with a timeout and
 * a cap on calls in flight. Every call due is accounted for in `stats`: sent then answered (by
 * status), timed out or failed, or dropped when the cap is reached.
 */
export class Processor {
  private readonly agent: Agent;
  private readonly target: URL;
  private seq = 0;
  private readonly idle: Array<() => void> = [];
  /** Whether the last finished call failed; failures are logged when they start and stop, not each. */
  private failing = false;
  /** Whether calls are being dropped at the in-flight cap (logged when that starts and stops). */
  private dropping = false;

  constructor(
    url: string,
    private readonly stats: Stats,
    private readonly opts: { timeoutMs: number; maxInFlight: number },
    private readonly log?: Logger,
  ) {
    this.target = new URL(url);
    const agentOpts = { keepAlive: true, maxSockets: opts.maxInFlight, maxFreeSockets: Math.min(opts.maxInFlight, 256), scheduling: "lifo" as const };
    this.agent = this.target.protocol === "https:" ? new HttpsAgent(agentOpts) : new Agent(agentOpts);
  }

  get inFlight(): number {
    return this.stats.inFlight;
  }

  /** Sends one call, or counts it as dropped when MAX_IN_FLIGHT calls are already waiting. */
  call(): void {
    if (this.stats.inFlight >= this.opts.maxInFlight) {
      this.stats.recordDropped();
      if (!this.dropping) this.log?.warn({ maxInFlight: this.opts.maxInFlight }, "MAX_IN_FLIGHT calls waiting; dropping calls due");
      this.dropping = true;
      return;
    }
    if (this.dropping) this.log?.info({ dropped: this.stats.dropped }, "below MAX_IN_FLIGHT again; sending");
    this.dropping = false;
    const body = `{"str":"${Date.now().toString(36)}-${(this.seq++).toString(36)}-${Math.random().toString(36).slice(2, 10)}"}`;
    const send = this.target.protocol === "https:" ? httpsRequest : request;
    let settled = false;
    const settle = (outcome: number | "timeout" | "error") => {
      if (settled) return;
      settled = true;
      this.stats.recordOutcome(outcome);
      const failed = typeof outcome !== "number" || outcome < 200 || outcome >= 300;
      if (failed !== this.failing) {
        this.failing = failed;
        if (failed) this.log?.warn({ outcome, processor: this.target.href }, "worker calls failing");
        else this.log?.info({ processor: this.target.href }, "worker calls succeeding again");
      }
      if (this.stats.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    };
    this.stats.recordSent();
    const req = send(
      this.target,
      {
        method: "POST",
        agent: this.agent,
        timeout: this.opts.timeoutMs,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.on("end", () => settle(status));
        res.on("error", () => settle("error"));
        res.on("close", () => settle(res.complete ? status : "error"));
        res.resume();
      },
    );
    req.on("timeout", () => {
      settle("timeout");
      req.destroy();
    });
    req.on("error", () => settle("error"));
    req.end(body);
  }

  /** Resolves when no call is in flight, or after `ms`. */
  drain(ms: number): Promise<void> {
    if (this.stats.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
