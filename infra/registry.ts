import * as dockerBuild from "@pulumi/docker-build";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

/** The Docker build context: the repository root (the npm workspaces share one lockfile). */
const CONTEXT_DIR = path.resolve(__dirname, "..");

export interface ArtifactRegistryArgs {
  /** repository id; unique per project and location (carries the stack's random suffix) */
  repositoryId: pulumi.Input<string>;
  /** Google Cloud project id */
  project: pulumi.Input<string>;
  /** region of the repository, e.g. `us-west1` (same region as the clusters) */
  location: pulumi.Input<string>;
  /** service accounts (emails) that pull images: the GKE nodes */
  readers: pulumi.Input<string>[];
  /** the GCP provider */
  gcpProvider: gcp.Provider;
  /** resources to wait for (API enablement) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Docker repository in Artifact Registry (Container Registry is shut down), readable by the nodes. */
export class ArtifactRegistry extends pulumi.ComponentResource {
  public readonly repository: gcp.artifactregistry.Repository;
  /** `<location>-docker.pkg.dev`, the host to log in to */
  public readonly host: pulumi.Output<string>;
  /** `<location>-docker.pkg.dev/<project>/<repositoryId>`, the prefix of every image */
  public readonly url: pulumi.Output<string>;
  /** the readers' grants (`roles/artifactregistry.reader` on the repository): what a pod pulling from it waits for */
  public readonly readerGrants: gcp.artifactregistry.RepositoryIamMember[];

  constructor(name: string, args: ArtifactRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:ArtifactRegistry", name, {}, opts);
    const gcpOpts = { parent: this, provider: args.gcpProvider };

    this.repository = new gcp.artifactregistry.Repository(
      `${name}-repo`,
      {
        repositoryId: args.repositoryId,
        project: args.project,
        location: args.location,
        format: "DOCKER",
        description: "istio-burst images: frontend, worker, watcher",
      },
      { ...gcpOpts, dependsOn: args.dependsOn },
    );
    this.readerGrants = args.readers.map(
      (email, i) =>
        new gcp.artifactregistry.RepositoryIamMember(
          `${name}-reader-${i}`,
          {
            project: this.repository.project,
            location: this.repository.location,
            repository: this.repository.repositoryId,
            role: "roles/artifactregistry.reader",
            member: pulumi.interpolate`serviceAccount:${email}`,
          },
          gcpOpts,
        ),
    );
    this.host = pulumi.interpolate`${this.repository.location}-docker.pkg.dev`;
    this.url = pulumi.interpolate`${this.host}/${this.repository.project}/${this.repository.repositoryId}`;

    this.registerOutputs({ host: this.host, url: this.url });
  }
}

/** The one Dockerfile of the three programs (relative to the repository root), built once per program. */
export const DOCKERFILE = "Dockerfile";

/** The images of the system: name in the registry -> the program's folder (the Dockerfile's `APP` build arg). */
export const APP_IMAGES = {
  frontend: "apps/frontend",
  worker: "apps/worker",
  watcher: "watcher",
} as const;
export type AppImageName = keyof typeof APP_IMAGES;

export interface AppImagesArgs {
  /** registry host to log in to, e.g. `us-west1-docker.pkg.dev` */
  registryHost: pulumi.Input<string>;
  /** repository prefix of the image names, e.g. `us-west1-docker.pkg.dev/proj/istio-burst-a1b2c3` */
  repositoryUrl: pulumi.Input<string>;
  /** prebuilt image refs; each one given skips that build */
  prebuilt: Partial<Record<AppImageName, string>>;
  /** target platform, the GKE nodes' architecture (`linux/amd64` or `linux/arm64`) */
  platform: string;
  /** the GCP provider (for the access token the push logs in with); needed only when something is built */
  gcpProvider?: gcp.Provider;
  /** resources the pushes wait for (the repository's IAM) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Builds `apps/frontend`, `apps/worker` and `watcher` from the one Dockerfile (`--build-arg APP=<folder>`) with BuildKit and pushes them to Artifact
 * Registry, logging in with the gcloud client's access token; or passes prebuilt refs through.
 * The refs carry the pushed digest, so a rebuilt image rolls the Deployments that use it.
 */
export class AppImages extends pulumi.ComponentResource {
  /** image refs by name (digest-pinned when built here) */
  public readonly refs: Record<AppImageName, pulumi.Output<string>>;
  /** the builds this component ran (prebuilt refs have none) */
  public readonly builds: Partial<Record<AppImageName, dockerBuild.Image>>;

  constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:AppImages", name, {}, opts);
    const platform = args.platform as dockerBuild.Platform;
    const prebuilt = args.prebuilt;
    const toBuild = (Object.keys(APP_IMAGES) as AppImageName[]).filter((n) => prebuilt[n] === undefined);

    // Only ask for a token when something is pushed.
    if (toBuild.length > 0 && !args.gcpProvider)
      throw new pulumi.ResourceError(`images ${toBuild.join(", ")} must be built and pushed, which needs the GCP provider; give prebuilt refs instead`, this);
    const token = toBuild.length
      ? gcp.organizations.getClientConfigOutput({ parent: this, provider: args.gcpProvider }).accessToken
      : undefined;

    this.builds = {};
    const refs: Partial<Record<AppImageName, pulumi.Output<string>>> = {};
    for (const image of Object.keys(APP_IMAGES) as AppImageName[]) {
      const given = prebuilt[image];
      if (given !== undefined) {
        refs[image] = pulumi.output(given);
        continue;
      }
      const build = new dockerBuild.Image(
        `${name}-${image}`,
        {
          context: { location: CONTEXT_DIR },
          dockerfile: { location: path.join(CONTEXT_DIR, DOCKERFILE) },
          buildArgs: { APP: APP_IMAGES[image] },
          platforms: [platform],
          tags: [pulumi.interpolate`${args.repositoryUrl}/${image}:latest`],
          push: true,
          registries: [{ address: args.registryHost, username: "oauth2accesstoken", password: pulumi.secret(token!) }],
          labels: { "org.opencontainers.image.title": `istio-burst-${image}` },
        },
        { parent: this, dependsOn: args.dependsOn },
      );
      this.builds[image] = build;
      refs[image] = build.ref;
    }
    this.refs = refs as Record<AppImageName, pulumi.Output<string>>;

    this.registerOutputs({ refs: this.refs });
  }
}
