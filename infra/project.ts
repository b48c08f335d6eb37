import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** APIs the stack uses; enabled (and never disabled on destroy: other things in the project may need them). */
export const REQUIRED_APIS = [
  "cloudresourcemanager.googleapis.com",
  "compute.googleapis.com",
  "container.googleapis.com",
  "artifactregistry.googleapis.com",
  "iam.googleapis.com",
] as const;

/** Project roles of the nodes' service account (logging, monitoring, metadata); image pulls are granted on the repository. */
export const NODE_ROLES = ["roles/container.defaultNodeServiceAccount"] as const;

export interface GcpProjectArgs {
  /** Google Cloud project id */
  project: string;
  /** region of regional resources (Artifact Registry), e.g. `us-west1` */
  region: string;
  /** default zone, e.g. `us-west1-a` */
  zone: string;
}

/**
 * The project-level foundation: the explicit `gcp.Provider` every GCP resource uses (default providers
 * are disabled in Pulumi.yaml), the required APIs, a stable random suffix for names that must be unique
 * per project (so a second stack can run beside the first), and the GKE nodes' service account
 * (least privilege, instead of the Compute Engine default account).
 */
export class GcpProject extends pulumi.ComponentResource {
  /** provider for every GCP resource of the stack */
  public readonly provider: gcp.Provider;
  /** 6 lowercase letters/digits, stable for the life of the stack */
  public readonly suffix: pulumi.Output<string>;
  /** API enablement, for `dependsOn` of resources that need the APIs */
  public readonly apis: gcp.projects.Service[];
  /** the GKE nodes' service account email */
  public readonly nodeServiceAccountEmail: pulumi.Output<string>;
  /** the node service account's role grants, for `dependsOn` of node pools */
  public readonly nodeRoles: gcp.projects.IAMMember[];
  public readonly project: string;
  public readonly region: string;

  constructor(name: string, args: GcpProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:GcpProject", name, {}, opts);
    this.project = args.project;
    this.region = args.region;

    // on every GCP resource that takes labels
    const labels = { app: "istio-burst", stack: pulumi.getStack().toLowerCase().replace(/[^a-z0-9_-]/g, "-") };
    this.provider = new gcp.Provider(
      `${name}-gcp`,
      { project: args.project, region: args.region, zone: args.zone, defaultLabels: labels },
      { parent: this },
    );
    const provider = this.provider;

    const suffix = new random.RandomString(
      `${name}-suffix`,
      { length: 6, lower: true, upper: false, numeric: true, special: false },
      { parent: this },
    );
    this.suffix = suffix.result;

    this.apis = REQUIRED_APIS.map(
      (api) => new gcp.projects.Service(`${name}-${api.split(".")[0]}`, { project: args.project, service: api, disableOnDestroy: false }, { parent: this, provider }),
    );

    const nodeSa = new gcp.serviceaccount.Account(
      `${name}-gke-nodes`,
      {
        project: args.project,
        accountId: pulumi.interpolate`gke-nodes-${suffix.result}`,
        displayName: pulumi.interpolate`istio-burst GKE nodes (${pulumi.getStack()})`,
      },
      { parent: this, provider, dependsOn: this.apis },
    );
    this.nodeServiceAccountEmail = nodeSa.email;
    this.nodeRoles = NODE_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
        `${name}-gke-nodes-${role.split("/")[1]}`,
        { project: args.project, role, member: pulumi.interpolate`serviceAccount:${nodeSa.email}` },
          { parent: this, provider, dependsOn: this.apis },
        ),
    );

    this.registerOutputs({ suffix: this.suffix, nodeServiceAccountEmail: this.nodeServiceAccountEmail });
  }
}
