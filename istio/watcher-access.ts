import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES, PORTS } from "../packages/contract/src";
import { ISTIO_SECURITY } from "./common";

/** The mesh's trust domain unless configured (`meshConfig.trustDomain`; the stack does not set it). */
export const DEFAULT_TRUST_DOMAIN = "cluster.local";

/** The one request the watcher answers inside the mesh. */
export const WATCHER_STATUS_OPERATION = { methods: ["GET"], paths: ["/status"], ports: [String(PORTS.watcher)] } as const;

/** `<trust domain>/ns/<namespace>/sa/<account>`: a workload's mesh identity, as AuthorizationPolicy principals name it. */
export function principalOf(namespace: string, serviceAccount: string, trustDomain = DEFAULT_TRUST_DOMAIN): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export interface WatcherAccessArgs {
  /** Kubernetes provider of the primary cluster, where the watcher runs (istiod reads its policies there). */
  provider: k8s.Provider;
  /** The watcher's namespace. */
  namespace: pulumi.Input<string>;
  /** Labels of the watcher's pods (WatcherDeployment.podSelector); not empty. */
  watcherSelector: Record<string, string>;
  /** The ServiceAccounts, in the watcher's namespace, allowed to `GET /status`: the frontend's; at least one. */
  statusReaders: pulumi.Input<string>[];
  /** The mesh's trust domain (default `cluster.local`). */
  trustDomain?: string;
  /** Resources that must exist first: the Istio install that defines the security CRDs. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Who may talk to the watcher inside the mesh: an ALLOW AuthorizationPolicy `istio-watcher` on the
 * watcher's pods whose only rule lets the named ServiceAccounts (the frontend's) `GET /status` on its
 * port. Once an ALLOW policy selects a workload, its sidecar denies every request that no rule allows
 * (403 `RBAC: access denied`): `/metrics`, `/_healthz` and everything else, from any namespace.
 *
 * Probes and scraping do not go through that check, so the policy has no rule for them: Istio rewrites
 * the kubelet's probes to the sidecar agent's port 15020 (which the sidecar's iptables rules never
 * redirect into Envoy), and the agent calls the app itself from 127.0.0.6, which is not redirected
 * either; Prometheus scrapes the merged metrics on 15020 too, and the agent reads the app's `/metrics`
 * over localhost. Neither rewrite is turned off on the watcher's pods (tests/stack assert it).
 */
export class WatcherAccess extends pulumi.ComponentResource {
  public readonly policy: k8s.apiextensions.CustomResource;
  /** `istio-watcher` */
  public readonly policyName: pulumi.Output<string>;

  constructor(name: string, args: WatcherAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:WatcherAccess", name, {}, opts);

    if (Object.keys(args.watcherSelector).length === 0) {
      throw new pulumi.ResourceError("watcherSelector must not be empty (the policy would apply to every pod of the namespace)", this);
    }
    if (args.statusReaders.length === 0) {
      throw new pulumi.ResourceError("statusReaders must name at least one ServiceAccount (the frontend's), or nobody can read /status", this);
    }
    const trustDomain = args.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    const principals = args.statusReaders.map((sa) => pulumi.all([args.namespace, sa]).apply(([ns, account]) => principalOf(ns, account, trustDomain)));

    this.policy = new k8s.apiextensions.CustomResource(
      `${name}-policy`,
      {
        apiVersion: ISTIO_SECURITY,
        kind: "AuthorizationPolicy",
        metadata: { name: NAMES.watcher, namespace: args.namespace },
        spec: {
          selector: { matchLabels: args.watcherSelector },
          action: "ALLOW",
          rules: [
            {
              from: [{ source: { principals } }],
              to: [{ operation: { methods: [...WATCHER_STATUS_OPERATION.methods], paths: [...WATCHER_STATUS_OPERATION.paths], ports: [...WATCHER_STATUS_OPERATION.ports] } }],
            },
          ],
        },
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.policyName = this.policy.metadata.name;

    this.registerOutputs({ policyName: this.policyName });
  }
}
