/**
 * The doctor's istioctl analyze link against a stand-in istioctl: a real executable on PATH in a temp
 * folder that records its arguments and the kubeconfig it was given, and prints what istioctl prints
 * for `analyze -o json` (the JSON array, tab-indented, its keys in Go's order; "✔ No validation
 * issues found when analyzing all namespaces." on stderr when there are none; `Error: ...` on stderr
 * and exit 1 when it cannot run). Without istioctl on PATH the link is not checked.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ANALYZE_LINK, analyzeFinding, istioAnalyze, istioctlInstructions } from "../../doctor/src/istio-analyze";
import { report } from "../../doctor/src/index";
import type { StackView } from "../../doctor/src/links";
import { kubeconfigText } from "../../packages/contract/src";
import { makeTempDir, type TempDir } from "../../packages/tooling/src/processes";

const VIEW: StackView = {
  primaryKubeconfig: kubeconfigText("gke_proj_us-west1-a_primary", "https://34.1.2.3", "Q0E=", { token: "primary-token" }),
  burstKubeconfig: kubeconfigText("gke_proj_us-west1-a_burst", "https://34.4.5.6", "Q0I=", { token: "burst-token" }),
  namespace: "hashr",
  remoteSecretName: "istio-system/istio-remote-secret-burst",
  frontendUrl: "http://34.82.10.20/",
  istioVersion: "1.31.0",
};

/** A message as `istioctl analyze -o json` marshals it (Go sorts a map's keys). */
function jsonMessage(level: string, code: string, origin: string, cluster: string, message: string) {
  const lower = code.toLowerCase();
  return { code, cluster, documentationUrl: `https://istio.io/v1.31/docs/reference/config/analysis/${lower}/?ref=istioctl-analyze`, level, message, origin };
}
const inconsistent = (service: string, namespace: string) =>
  jsonMessage(
    "Warning",
    "IST0170",
    `Service ${namespace}/${service}`,
    "burst",
    `The service ${service} in namespace "${namespace}" is inconsistent across clusters ["burst" "primary"], which can lead to undefined behaviors. The inconsistent behaviors are: service ports are inconsistent.`,
  );
const THREE_WARNINGS = [inconsistent("istio-eastwestgateway", "istio-system"), inconsistent("istiod", "istio-system"), inconsistent("kubernetes", "default")];
const HOST_NOT_FOUND = jsonMessage("Error", "IST0101", "VirtualService hashr/worker-virtual-service", "primary", 'Referenced host not found: "worker-service.hashr.svc.cluster.local"');
const NO_ISSUES = "✔ No validation issues found when analyzing all namespaces.\n";

/** What the stand-in prints and how it exits. */
interface Reply {
  stdout: string;
  stderr?: string;
  exit?: number;
}

const STAND_IN = `#!/bin/sh
# istioctl, as far as analyze goes: records its arguments and kubeconfig, prints the reply left beside it
here=$(dirname "$0")
printf '%s\\n' "$@" > "$here/args"
while [ $# -gt 0 ]; do
  if [ "$1" = --kubeconfig ]; then cp "$2" "$here/kubeconfig"; fi
  shift
done
cat "$here/stdout"
cat "$here/stderr" >&2
exit "$(cat "$here/exit")"
`;

let bin: TempDir;
let temps: string[];
beforeEach(() => {
  bin = makeTempDir("fake-istioctl");
  writeFileSync(join(bin.dir, "istioctl"), STAND_IN);
  chmodSync(join(bin.dir, "istioctl"), 0o755);
  temps = readdirSync(tmpdir()).filter((name) => name.startsWith("istio-burst-doctor-analyze-"));
});
afterEach(() => bin.remove());

/** The link, with the stand-in on PATH giving this reply. */
async function analyzeWith(reply: Reply) {
  writeFileSync(join(bin.dir, "stdout"), reply.stdout);
  writeFileSync(join(bin.dir, "stderr"), reply.stderr ?? "");
  writeFileSync(join(bin.dir, "exit"), String(reply.exit ?? 0));
  return istioAnalyze(VIEW, { ...process.env, PATH: `${bin.dir}:${process.env.PATH ?? ""}` });
}

describe("doctor: istioctl analyze over both clusters", () => {
  it.each<[string, Reply, { ok: boolean; detail: string | RegExp; notes?: number }]>([
    ["no message at all", { stdout: "[]\n", stderr: NO_ISSUES }, { ok: true, detail: "no validation issues" }],
    ["nothing printed but null", { stdout: "null\n", stderr: NO_ISSUES }, { ok: true, detail: "no validation issues" }],
    ["the three IST0170 warnings of the stack by design", { stdout: `${JSON.stringify(THREE_WARNINGS, null, "\t")}\n` }, { ok: true, detail: "no error, 3 warnings", notes: 3 }],
    [
      "an error and a warning",
      { stdout: `${JSON.stringify([HOST_NOT_FOUND, THREE_WARNINGS[1]], null, "\t")}\n` },
      { ok: false, detail: "1 error (IST0101 VirtualService hashr/worker-virtual-service in primary), 1 warning", notes: 2 },
    ],
    [
      "errors with exit 79, as the log format exits",
      { stdout: `${JSON.stringify([HOST_NOT_FOUND, HOST_NOT_FOUND], null, "\t")}\n`, stderr: "Error: Analyzers found issues when analyzing all namespaces.\n", exit: 79 },
      { ok: false, detail: /^2 errors \(IST0101 VirtualService hashr\/worker-virtual-service in primary; IST0101 /, notes: 2 },
    ],
    [
      "istioctl unable to reach a cluster",
      { stdout: "", stderr: 'Error: Get "https://34.4.5.6/api/v1/namespaces/default?timeout=15s": dial tcp 34.4.5.6:443: connect: connection refused\n', exit: 1 },
      { ok: false, detail: 'istioctl analyze failed (exit 1): Error: Get "https://34.4.5.6/api/v1/namespaces/default?timeout=15s": dial tcp 34.4.5.6:443: connect: connection refused' },
    ],
    ["output that is not its JSON", { stdout: "Warning [IST0170] (Service istio-system/istiod) ...\n" }, { ok: false, detail: /^istioctl analyze -o json printed no JSON: "Warning \[IST0170\]/ }],
  ])("%s", async (_case, reply, expected) => {
    const found = await analyzeWith(reply);
    expect(found).toMatchObject({ link: ANALYZE_LINK, ok: expected.ok, detail: expected.detail });
    expect(found.skipped).toBeUndefined();
    expect(found.notes?.length).toBe(expected.notes);
    if (!found.ok) expect(found.fix).toBeTruthy();
  });

  it("runs istioctl analyze over both clusters with one kubeconfig, as the end-to-end suite does, and leaves no file behind", async () => {
    await analyzeWith({ stdout: "[]\n", stderr: NO_ISSUES });
    const args = readFileSync(join(bin.dir, "args"), "utf8").trimEnd().split("\n");
    expect(args).toEqual(["analyze", "--kubeconfig", expect.stringMatching(/analyze\.kubeconfig$/), "--context", "primary", "--remote-contexts", "burst", "-A", "-o", "json", "--failure-threshold", "Error"]);
    const merged = JSON.parse(readFileSync(join(bin.dir, "kubeconfig"), "utf8"));
    expect(merged.contexts).toEqual([
      { name: "primary", context: { cluster: "primary", user: "primary" } },
      { name: "burst", context: { cluster: "burst", user: "burst" } },
    ]);
    expect(merged.clusters.map((c: { cluster: { server: string } }) => c.cluster.server)).toEqual(["https://34.1.2.3", "https://34.4.5.6"]);
    expect(merged.users.map((u: { user: { token: string } }) => u.user.token)).toEqual(["primary-token", "burst-token"]);
    expect(existsSync(args[2])).toBe(false);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith("istio-burst-doctor-analyze-") && !temps.includes(name))).toEqual([]);
  });

  it("is not checked without istioctl on PATH, and says how to get one", async () => {
    const empty = join(bin.dir, "empty");
    mkdirSync(empty);
    const found = await istioAnalyze(VIEW, { ...process.env, PATH: empty });
    expect(found).toEqual({ link: ANALYZE_LINK, ok: false, skipped: true, detail: "istioctl is not on PATH", fix: istioctlInstructions("1.31.0") });
    expect(found.fix).toContain("bash e2e/tools/build.sh");
    expect(found.fix).toContain('PATH="$(bash e2e/tools/build.sh --dir)/bin:$PATH" npm run doctor');
    expect(found.fix).toContain("curl -L https://istio.io/downloadIstio | ISTIO_VERSION=1.31.0 sh -");
  });

  it("prints each error and warning under the link as istioctl does, and a skipped link as SKIP, neither OK nor broken", async () => {
    const lines = report([analyzeFinding([HOST_NOT_FOUND, THREE_WARNINGS[1]])]).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      `  FAIL  ${ANALYZE_LINK}: 1 error (IST0101 VirtualService hashr/worker-virtual-service in primary), 1 warning`,
      '        Error [IST0101] [cluster-primary] (VirtualService hashr/worker-virtual-service) Referenced host not found: "worker-service.hashr.svc.cluster.local"',
      `        Warning [IST0170] [cluster-burst] (Service istio-system/istiod) ${THREE_WARNINGS[1].message}`,
    ]);
    expect(lines[3]).toMatch(/^ {8}what to do: /);
    const skipped = report([{ link: "a", ok: true, detail: "fine" }, await istioAnalyze(VIEW, { PATH: "" })]).split("\n");
    expect(skipped.slice(1)).toEqual([`  SKIP  ${ANALYZE_LINK}: istioctl is not on PATH`, `        to check it: ${istioctlInstructions("1.31.0")}`, "doctor: all 1 links OK; 1 not checked (SKIP above says how to check it)"]);
  });
});
