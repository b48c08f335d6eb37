/**
 * One local Kubernetes control plane on 127.0.0.1: kube-apiserver (its own prefix in a shared etcd),
 * kube-controller-manager, kube-scheduler and kwok, which makes the nodes the harness creates and
 * their pods Ready with no kubelet and no container. Every process dies with this one (a parent-death
 * signal) and logs to a file in the cluster's folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { HOST, freePort, killedWithParent, stopChild, waitFor } from "../../packages/tooling/src/processes";
import { adminKubeconfig, makeControlPlanePki, type ControlPlanePki } from "./pki";
import type { E2eTools } from "./tools";

/** A child process of the harness, with the tail of its log for error messages. */
export class Component {
  private readonly tail: string[] = [];
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  /** Starts `bin` with `args`, its output appended to `logFile`. */
  static start(name: string, bin: string, args: string[], logFile: string): Component {
    const cmd = killedWithParent(bin, args);
    const child = spawn(cmd.file, cmd.args, { stdio: ["ignore", "pipe", "pipe"] });
    const component = new Component(name, child, logFile);
    const log = createWriteStream(logFile, { flags: "a" });
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      component.tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      component.tail.splice(0, component.tail.length - 20);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("exit", () => log.end());
    return component;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** An error when the process has ended, with the end of its log. */
  checkRunning(): void {
    if (this.exited) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}); the end of ${this.logFile}:\n${this.tail.join("\n")}`);
  }

  stop(): Promise<number | null> {
    return stopChild(this.child, "SIGTERM", 5_000);
  }
}

/** What makes one control plane different from the other. */
export interface ControlPlaneOptions {
  /** the cluster's name: its kubeconfig context, its folder, its etcd prefix */
  name: string;
  /** the folder of its files (PKI, logs, kubeconfig) */
  dir: string;
  /** the shared etcd's client URL */
  etcdUrl: string;
  /** the Service range (a /16 of its own) */
  serviceCidr: string;
  /** kwok's pod address range */
  podCidr: string;
  /** admission webhooks on (MutatingAdmissionWebhook and ValidatingAdmissionWebhook); off by default */
  webhooks?: boolean;
  /** `--enable-aggregator-routing`: webhooks and aggregated APIs reached at the Service's endpoints, as GKE runs it */
  aggregatorRouting?: boolean;
}

/** The first address of a range, e.g. 10.96.0.1 for 10.96.0.0/16: the in-cluster `kubernetes` Service. */
function firstAddress(cidr: string): string {
  const [base] = cidr.split("/");
  const parts = base.split(".").map(Number);
  parts[3] += 1;
  return parts.join(".");
}

export class ControlPlane {
  readonly components: Component[] = [];
  /** the API server was stopped on purpose (stopApiServer): not a failure until startApiServer */
  private apiServerDown = false;
  private tools: E2eTools | undefined;
  private constructor(
    readonly options: ControlPlaneOptions,
    readonly pki: ControlPlanePki,
    /** https://127.0.0.1:<port> */
    readonly server: string,
    /** the administrator's kubeconfig (self-contained) and its file */
    readonly kubeconfig: string,
    readonly kubeconfigFile: string,
  ) {}

  get name(): string {
    return this.options.name;
  }

  /** What the control plane was started with, for the test output. */
  describe(): string {
    const o = this.options;
    const admission = o.webhooks ? "admission webhooks on" : "admission webhooks off";
    return `${o.name}: ${this.server}, ${admission}${o.aggregatorRouting ? ", --enable-aggregator-routing" : ""}`;
  }

  static async start(tools: E2eTools, options: ControlPlaneOptions): Promise<ControlPlane> {
    mkdirSync(join(options.dir, "pki"), { recursive: true });
    const pki = makeControlPlanePki(join(options.dir, "pki"), options.name, firstAddress(options.serviceCidr));
    const port = await freePort();
    const server = `https://${HOST}:${port}`;
    const kubeconfig = adminKubeconfig(options.name, server, pki);
    const kubeconfigFile = join(options.dir, "kubeconfig");
    writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const plane = new ControlPlane(options, pki, server, kubeconfig, kubeconfigFile);
    plane.tools = tools;
    try {
      plane.launch(tools.path("kube-apiserver"), "kube-apiserver", plane.apiServerArgs(port));
      await plane.waitReady();
      plane.launch(tools.path("kube-controller-manager"), "kube-controller-manager", plane.controllerManagerArgs());
      plane.launch(tools.path("kube-scheduler"), "kube-scheduler", ["--kubeconfig", kubeconfigFile, "--leader-elect=false", "--secure-port=0"]);
      plane.launch(tools.path("kwok"), "kwok", await plane.kwokArgs(tools.kwokStages));
      return plane;
    } catch (err) {
      await plane.stop();
      throw err;
    }
  }

  private launch(bin: string, component: string, args: string[]): void {
    this.components.push(Component.start(`${this.name} ${component}`, bin, args, join(this.options.dir, `${component}.log`)));
  }

  private apiServerArgs(port: number): string[] {
    const { pki, options } = this;
    const off = options.webhooks ? [] : ["MutatingAdmissionWebhook", "ValidatingAdmissionWebhook"];
    return [
      `--etcd-servers=${options.etcdUrl}`,
      `--etcd-prefix=/registry-${options.name}`,
      `--bind-address=${HOST}`,
      `--advertise-address=${HOST}`,
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${options.serviceCidr}`,
      // RBAC is what the end-to-end tests check: no other authorizer may allow what it denies.
      "--authorization-mode=RBAC",
      ...(off.length > 0 ? [`--disable-admission-plugins=${off.join(",")}`] : []),
      ...(options.aggregatorRouting ? ["--enable-aggregator-routing=true"] : []),
      `--cert-dir=${join(options.dir, "pki")}`,
      "--allow-privileged=true",
      "--profiling=false",
      "--enable-priority-and-fairness=false",
    ];
  }

  private controllerManagerArgs(): string[] {
    const { pki, kubeconfigFile } = this;
    return [
      `--kubeconfig=${kubeconfigFile}`,
      `--authentication-kubeconfig=${kubeconfigFile}`,
      `--authorization-kubeconfig=${kubeconfigFile}`,
      "--leader-elect=false",
      "--secure-port=0",
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      // The node lifecycle controller lifts the not-ready taint new nodes get once kwok reports them
      // Ready, and kwok renews their leases (--node-lease-duration-seconds); on a loaded machine a late
      // lease must not evict pods.
      "--controllers=*,-taint-eviction-controller",
      "--concurrent-deployment-syncs=10",
      "--concurrent-replicaset-syncs=10",
    ];
  }

  private async kwokArgs(stagesFile: string): Promise<string[]> {
    return [
      `--kubeconfig=${this.kubeconfigFile}`,
      `--config=${stagesFile}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      `--cidr=${this.options.podCidr}`,
      `--node-ip=${HOST}`,
      `--server-address=${HOST}:${await freePort()}`,
      // renew each node's Lease as a kubelet does (kwokctl's default); with none, the node lifecycle
      // controller marks the nodes and their pods not ready once its grace period (50 s) has passed
      "--node-lease-duration-seconds=40",
    ];
  }

  /** GET on the API server as its administrator; resolves to the status code and body. */
  request(path: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
    const read = (f: string) => readFileSync(f);
    return new Promise((resolve, reject) => {
      const req = https.get(
        `${this.server}${path}`,
        { ca: read(this.pki.caCert), cert: read(this.pki.adminCert), key: read(this.pki.adminKey), timeout: timeoutMs, agent: false },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
    });
  }

  private async waitReady(): Promise<void> {
    await waitFor(
      `${this.name} kube-apiserver /readyz`,
      async () => {
        this.components.forEach((c) => c.checkRunning());
        return (await this.request("/readyz")).status === 200;
      },
      60_000,
      200,
    );
  }

  /** Throws, naming the component and the end of its log, when any process of this plane has ended (but the API server stopped on purpose). */
  checkRunning(): void {
    this.components.filter((c) => !(this.apiServerDown && c === this.components[0])).forEach((c) => c.checkRunning());
  }

  /**
   * Stops the API server (SIGTERM, as a control-plane upgrade or a lost zone takes it away), leaving
   * etcd, the controllers and kwok running; clients get connection refused until startApiServer().
   */
  async stopApiServer(): Promise<void> {
    this.apiServerDown = true;
    await this.components[0].stop();
  }

  /** Whether the API server was stopped (stopApiServer) and not started again. */
  get apiServerStopped(): boolean {
    return this.apiServerDown;
  }

  /** Starts the API server again on the same address, with the same arguments; resolves once it is ready. */
  async startApiServer(): Promise<void> {
    const port = Number(new URL(this.server).port);
    const restarted = Component.start(`${this.name} kube-apiserver`, this.tools!.path("kube-apiserver"), this.apiServerArgs(port), join(this.options.dir, "kube-apiserver.log"));
    this.components[0] = restarted;
    this.apiServerDown = false;
    await this.waitReady();
  }

  async stop(): Promise<void> {
    // kwok and the controllers first, the API server last
    for (const c of [...this.components].reverse()) await c.stop();
  }
}

/** The annotation kwok manages nodes by (kwok's own convention). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
