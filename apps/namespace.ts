import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { dnsLabelError } from "./k8s-common";

/** Namespaces that exist before us (or belong to Istio): creating them would fail and destroying them must never happen. */
const RESERVED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "istio-ingress"]);

export interface MeshNamespaceArgs {
  /** Kubernetes provider of the cluster the namespace is created in. Required; no default provider is used. */
  provider: k8s.Provider;
  /** Namespace name, the same in both clusters (Istio treats equal names as one namespace). Required; must be a DNS-1123 label, and not `default`, `kube-*`, `istio-system` or `istio-ingress`. */
  name: string;
  /** Extra labels; `istio-injection: enabled` is always set and cannot be overridden. Default none. */
  labels?: Record<string, string>;
  /** Resources that must exist first, e.g. the Istio install whose injector webhook serves this namespace. Default none. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A namespace with Istio sidecar injection (`istio-injection=enabled`). */
export class MeshNamespace extends pulumi.ComponentResource {
  /** the namespace name (resolves once the Namespace exists: use it to order children after it) */
  public readonly name: pulumi.Output<string>;
  public readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, args: MeshNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:MeshNamespace", name, {}, opts);

    const bad = dnsLabelError("namespace", args.name);
    if (bad) throw new pulumi.ResourceError(bad, this);
    if (RESERVED_NAMESPACES.has(args.name)) {
      throw new pulumi.ResourceError(`namespace must not be the existing namespace ${JSON.stringify(args.name)}: pulumi destroy would delete it`, this);
    }
    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);

    this.namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: { ...(args.labels ?? {}), "istio-injection": "enabled" },
        },
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.name = this.namespace.metadata.name;

    this.registerOutputs({ name: this.name });
  }
}
