import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { APP_IMAGES } from "../../infra/registry";
import { isSecretInput, plain, providerName, runProgram, settleAll, TEST_PROJECT, valueOf, programRun } from "../helpers/pulumi";

const IMAGE = "docker-build:index:Image";
const REPO = "gcp:artifactregistry/repository:Repository";
const root = path.resolve(__dirname, "../..");
const DIGEST = "@sha256:" + "0".repeat(64);
const AR = `us-west1-docker.pkg.dev/${TEST_PROJECT}/istio-burst-a1b2c3`;

describe("Artifact Registry and image builds", () => {
  const run = programRun();

  it("creates one Docker repository in the clusters' region, named with the stack's suffix", () => {
    const repos = run.mocks.ofType(REPO);
    expect(repos).toHaveLength(1);
    expect(repos[0].inputs).toMatchObject({ repositoryId: "istio-burst-a1b2c3", location: "us-west1", format: "DOCKER", project: TEST_PROJECT });
    expect(providerName(repos[0].provider)).toBe("project-gcp");
  });

  it("lets the nodes' service account pull from it", () => {
    const [member] = run.mocks.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
    expect(member.inputs).toMatchObject({
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:gke-nodes-a1b2c3@${TEST_PROJECT}.iam.gserviceaccount.com`,
      repository: "istio-burst-a1b2c3",
      location: "us-west1",
    });
  });

  it.each([
    ["frontend", "apps/frontend"],
    ["worker", "apps/worker"],
    ["watcher", "watcher"],
  ])("builds %s from the repository root's one Dockerfile with APP=%s and pushes it to Artifact Registry", (name, app) => {
    const img = run.mocks.get(IMAGE, `images-${name}`).inputs;
    expect(img.context).toEqual({ location: root });
    expect(img.dockerfile).toEqual({ location: path.join(root, "Dockerfile") });
    expect(img.buildArgs).toEqual({ APP: app });
    expect(img.push).toBe(true);
    expect(img.platforms).toEqual(["linux/amd64"]);
    expect(img.tags).toEqual([`${AR}/${name}:latest`]);
    // Registry auth: the gcloud client's access token, kept secret.
    expect(isSecretInput(img.registries)).toBe(true);
    expect(plain(img.registries)).toEqual([expect.objectContaining({ address: "us-west1-docker.pkg.dev", username: "oauth2accesstoken" })]);
  });

  it("exports digest-pinned refs in Artifact Registry", async () => {
    const refs = await valueOf<Record<string, string>>(run.program.imageRefs);
    expect(refs).toEqual({
      frontend: `${AR}/frontend:latest${DIGEST}`,
      worker: `${AR}/worker:latest${DIGEST}`,
      watcher: `${AR}/watcher:latest${DIGEST}`,
    });
    for (const ref of Object.values(refs)) expect(ref).toMatch(/^us-west1-docker\.pkg\.dev\//);
    expect(await valueOf(run.program.registryUrl)).toBe(AR);
  });

  it("builds for the configured platform", async () => {
    const { mocks } = await runProgram({ imagePlatform: "linux/arm64" });
    await settleAll();
    for (const img of mocks.ofType(IMAGE)) expect(img.inputs.platforms).toEqual(["linux/arm64"]);
  });
});

describe("the one Dockerfile", () => {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
  const lines = dockerfile.split("\n").filter((line) => !line.startsWith("#"));

  it("takes the base image and the program's folder as build args", () => {
    expect(lines).toContain("ARG NODE_IMAGE=node:20-bookworm-slim");
    expect(lines.filter((line) => line === "ARG APP").length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.startsWith("FROM ")).every((line) => line.startsWith("FROM ${NODE_IMAGE}"))).toBe(true);
  });

  it("runs every program as the non-root node user (uid 1000), node as PID 1", () => {
    expect(lines.filter((line) => line.startsWith("USER "))).toEqual(["USER 1000:1000"]);
    expect(lines.filter((line) => line.startsWith("CMD "))).toEqual(['CMD ["node", "dist/index.js"]']);
  });

  it.each(Object.entries(APP_IMAGES))("builds %s from a workspace folder (%s) with a package.json, a build config and src/index.ts", (_name, app) => {
    for (const file of ["package.json", "tsconfig.build.json", "src/index.ts"]) expect(existsSync(path.join(root, app, file))).toBe(true);
    expect(existsSync(path.join(root, app, "Dockerfile"))).toBe(false);
  });
});

describe("prebuilt images", () => {
  const given = {
    frontendImage: "ghcr.io/example/frontend:1.0.0",
    workerImage: "ghcr.io/example/worker:1.0.0",
    watcherImage: "ghcr.io/example/watcher@sha256:" + "b".repeat(64),
  };

  it("skips every build and the registry when all three refs are given", async () => {
    const { mocks, program } = await runProgram(given);
    await settleAll();
    expect(mocks.ofType(IMAGE)).toHaveLength(0);
    expect(mocks.ofType(REPO)).toHaveLength(0);
    expect(await valueOf(program.imageRefs)).toEqual({ frontend: given.frontendImage, worker: given.workerImage, watcher: given.watcherImage });
    expect(program.registryUrl).toBeUndefined();
  });

  it("builds only the images not given", async () => {
    const { mocks, program } = await runProgram({ workerImage: given.workerImage });
    await settleAll();
    expect(mocks.ofType(IMAGE).map((i) => i.name).sort()).toEqual(["images-frontend", "images-watcher"]);
    expect(mocks.ofType(REPO)).toHaveLength(1);
    const refs = await valueOf<Record<string, string>>(program.imageRefs);
    expect(refs.worker).toBe(given.workerImage);
    expect(refs.frontend).toBe(`${AR}/frontend:latest${DIGEST}`);
  });
});
