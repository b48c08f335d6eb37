/**
 * The watcher as an app: builds the metrics source, the router and the controller from a validated
 * config, and serves /metrics, /status and /_healthz. Nothing runs until start(); index.ts is the
 * runnable entry.
 */
import { createServer, type Server } from "node:http";
import { applyServerTimeouts, createLogger, createRegistry, drainAndClose, listen, sendJson, sendMetrics, type Logger } from "@istio-burst/common";
import { policyOf, type WatcherStatus } from "@istio-burst/contract";
import type { Registry } from "prom-client";
import type { WatcherConfig } from "./config";
import { Controller } from "./controller";
import { createWatcherMetrics, type WatcherMetrics } from "./metrics";
import { PrometheusSource, type MetricsSource } from "./prometheus";
import type { TrafficRouter } from "./router";
import { createIstioRouter, EVENT_COMPONENT, IstioRouter, type Writer } from "./routers/istio";
import { LeaderElector } from "./election/elector";
import { createKubernetesLeaseLock } from "./election/lease-lock";
import { LocalRouter } from "./routers/local";
import type { Scaler } from "./scaler";
import { createKubernetesScaler } from "./scalers/kubernetes";
import { LocalScaler } from "./scalers/local";

export interface WatcherDeps {
  readonly log?: Logger;
  readonly registry?: Registry;
  /** Replaces the Prometheus source (tests, simulations). */
  readonly source?: MetricsSource;
  /** Replaces the router that config.router names. */
  readonly router?: TrafficRouter;
  /** Replaces the scaler that config.scaler names (null: none). */
  readonly scaler?: Scaler | null;
  readonly now?: () => number;
}

export interface WatcherApp {
  readonly config: WatcherConfig;
  readonly controller: Controller;
  readonly server: Server;
  readonly registry: Registry;
  readonly log: Logger;
  /** Starts the HTTP server and the poll loop; resolves to the port listened on. */
  start(): Promise<number>;
  /** Stops polling (waiting for a poll in progress) and closes the HTTP server. */
  stop(): Promise<void>;
}

/**
 * Who writes: with leader election, each watcher's patches carry its identity as their field manager
 * (`istio-burst-watcher/<pod>`, in the objects' managedFields) and its Events name it; without, the one
 * watcher writes as `istio-burst-watcher`.
 */
export function writerOf(config: WatcherConfig): Writer {
  const fieldManager = config.leaseName === undefined ? EVENT_COMPONENT : `${EVENT_COMPONENT}/${config.identity}`.slice(0, 128);
  return { fieldManager, instance: config.identity };
}

export async function createRouter(config: WatcherConfig, hooks: { onConflict?: () => void; onEventError?: (err: Error) => void } = {}): Promise<TrafficRouter> {
  if (config.router === "local") return new LocalRouter({ meshUrl: config.meshUrl as string, timeoutMs: Math.max(config.settings.queryTimeout, 2_000) });
  return createIstioRouter({ namespace: config.namespace, name: config.virtualService, writer: writerOf(config), ...hooks });
}

/** The capacity side's scaler (SCALER); undefined when it is off. */
export async function createScaler(config: WatcherConfig): Promise<Scaler | undefined> {
  if (config.scaler === "local") return new LocalScaler({ url: config.scalerUrl as string, timeoutMs: Math.max(config.settings.queryTimeout, 2_000) });
  if (config.scaler === "kubernetes") {
    return createKubernetesScaler({ namespace: config.burstNamespace, name: config.burstDeployment, kubeConfigFile: config.burstKubeconfig, fieldManager: writerOf(config).fieldManager });
  }
  return undefined;
}

/** The leader election (LEASE_NAME), on the Lease beside the VirtualService; undefined without. */
async function createElector(config: WatcherConfig, controller: Controller, log: Logger, metrics: WatcherMetrics): Promise<LeaderElector | undefined> {
  if (config.leaseName === undefined) return undefined;
  const { leaseDuration, renewDeadline, retryPeriod } = config.settings;
  return new LeaderElector({
    lock: await createKubernetesLeaseLock({ namespace: config.namespace, name: config.leaseName }),
    identity: config.identity,
    leaseDuration,
    renewDeadline,
    retryPeriod,
    log,
    onStartedLeading: () => {
      metrics.leader.set(1);
      controller.forget();
      controller.start();
    },
    onStoppedLeading: async () => {
      metrics.leader.set(0);
      await controller.stop();
    },
    onNewLeader: (holder) => log.info({ holder: holder || "(released)", identity: config.identity }, "the Lease's holder changed"),
  });
}

/** The metrics source that config names: Prometheus with the configured queries. */
function createSource(config: WatcherConfig): MetricsSource {
  return new PrometheusSource({
    url: config.prometheusUrl,
    timeoutMs: config.settings.queryTimeout,
    query: config.query,
    upQuery: config.upQuery,
    burstHealthQuery: config.burstHealthQuery,
  });
}

/** `/status`: what the watcher talks to, what the controller knows, and (with election) whether it leads. */
function statusOf(config: WatcherConfig, controller: Controller, elector: LeaderElector | undefined): WatcherStatus {
  return {
    service: "watcher",
    prometheusUrl: config.prometheusUrl,
    query: config.query,
    upQuery: config.upQuery,
    healthQuery: config.burstHealthQuery ?? null,
    ...controller.status(),
    election: elector?.status() ?? null,
  };
}

/** Ready: the leader (or the only watcher) once it has read the weights; a standby while it stands by. */
function isReady(controller: Controller, elector: LeaderElector | undefined): boolean {
  return elector !== undefined && !elector.leading() ? true : controller.ready;
}

/** GET /_healthz, /status and /metrics. */
function createStatusServer(config: WatcherConfig, controller: Controller, registry: Registry, elector: LeaderElector | undefined): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const ready = isReady(controller, elector);
    if (req.method !== "GET" && req.method !== "HEAD") sendJson(res, 405, { error: "only GET" }, { allow: "GET, HEAD" });
    else if (path === "/_healthz") sendJson(res, ready ? 200 : 503, { ready, ...(elector ? { role: elector.status().role } : {}) });
    else if (path === "/status") sendJson(res, 200, statusOf(config, controller, elector));
    else if (path === "/metrics") sendMetrics(res, registry);
    else sendJson(res, 404, { error: "not found" });
  });
  applyServerTimeouts(server, { requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 });
  return server;
}

export async function createWatcherApp(config: WatcherConfig, deps: WatcherDeps = {}): Promise<WatcherApp> {
  const log = deps.log ?? createLogger("watcher");
  const registry = deps.registry ?? createRegistry("watcher");
  const metrics = createWatcherMetrics(registry);
  const router =
    deps.router ??
    (await createRouter(config, {
      onConflict: () => metrics.routerConflicts.inc(),
      onEventError: (err) => log.warn({ err: err.message }, "weights changed but the Kubernetes Event could not be written"),
    }));
  const scaler = deps.scaler === null ? undefined : (deps.scaler ?? (await createScaler(config)));
  const controller = new Controller({
    source: deps.source ?? createSource(config),
    router,
    scaler,
    recordEvent: scaler && router instanceof IstioRouter ? (note) => router.recordEvent(note) : undefined,
    mayWrite: () => elector?.leading() ?? true,
    policy: policyOf(config.settings),
    pricing: config.settings,
    pollIntervalMs: config.settings.pollInterval,
    dryRun: config.settings.dryRun,
    log,
    metrics,
    now: deps.now,
  });
  const elector = await createElector(config, controller, log, metrics);
  metrics.leader.set(elector ? 0 : 1);
  const server = createStatusServer(config, controller, registry, elector);
  const started = {
    mode: config.settings.mode,
    router: router.description,
    prometheus: config.prometheusUrl,
    query: config.query,
    upQuery: config.upQuery,
    healthQuery: config.burstHealthQuery ?? "off",
    scaler: scaler?.description ?? "none",
    dryRun: config.settings.dryRun,
    election: elector ? `Lease ${config.namespace}/${config.leaseName} as ${config.identity}` : "off",
  };
  return {
    config,
    controller,
    server,
    registry,
    log,
    async start() {
      const port = await listen(server, config.port);
      log.info({ port, ...started }, "watcher started");
      if (elector) elector.run();
      else controller.start();
      return port;
    },
    async stop() {
      // with election: stops leading (the controller first) and releases the Lease for the standby
      if (elector) await elector.stop();
      await controller.stop();
      await drainAndClose(server, { drainMs: 2_000 });
    },
  };
}
