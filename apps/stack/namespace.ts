import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Namespaces every cluster has: labelled in place (a patch), never created or deleted. */
const EXISTING_NAMESPACES = new Set(["default"]);

export interface MeshNamespaceArgs {
  /** Kubernetes provider of the cluster the namespace is created in. */
  provider: k8s.Provider;
  /** Namespace name, the same in both clusters (Istio treats equal names as one namespace); not a system namespace (config.ts refuses those). `default` is labelled in place (server-side apply patch; `pulumi destroy` removes only the label), any other name is created (and deleted on destroy). */
  name: string;
  /** Resources that must exist first: the Istio install whose injector webhook serves this namespace. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** A namespace with Istio sidecar injection (`istio-injection=enabled`): created, or for `default` labelled in place. */
export class MeshNamespace extends pulumi.ComponentResource {
  /** the namespace name (resolves once the Namespace exists: use it to order children after it) */
  public readonly name: pulumi.Output<string>;
  /** the Namespace, or the patch labelling an existing one */
  public readonly namespace: k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch;
  /** true when an existing namespace (`default`) was labelled rather than created */
  public readonly adopted: boolean;

  constructor(name: string, args: MeshNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:MeshNamespace", name, {}, opts);

    const labels = { "istio-injection": "enabled" };
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    this.adopted = EXISTING_NAMESPACES.has(args.name);
    this.namespace = this.adopted
      ? new k8s.core.v1.NamespacePatch(
          name,
          // patchForce: take over the label even if someone set it with kubectl before
          { metadata: { name: args.name, labels, annotations: { "pulumi.com/patchForce": "true" } } },
          childOpts,
        )
      : new k8s.core.v1.Namespace(name, { metadata: { name: args.name, labels } }, childOpts);
    this.name = this.namespace.metadata.apply((m) => m?.name ?? args.name);

    this.registerOutputs({ name: this.name, adopted: this.adopted });
  }
}
