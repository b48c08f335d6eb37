/**
 * Istio's own analyzers over both clusters: `istioctl analyze --context primary --remote-contexts burst
 * -A` with one kubeconfig holding the stack's two (packages/tooling/src/istioctl.ts, which the
 * end-to-end suite runs too). They read what the clusters hold together, as istiod sees it: a
 * VirtualService naming a host or gateway that does not exist (IST0101), a Service whose ports differ
 * between the clusters (IST0170), a namespace without injection. An error breaks the link; warnings
 * are listed under it. Without istioctl on PATH the link is not checked, and says how to get it.
 */
import { analyzerLine, istioctlAnalyze, type AnalyzerMessage } from "../../packages/tooling/src/istioctl";
import { makeTempDir, resolveCommand } from "../../packages/tooling/src/processes";
import { safely, type Finding, type StackView } from "./links";

export const ANALYZE_LINK = "istioctl analyze finds no error in either cluster";

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** How to put an istioctl on PATH: the one this project builds, or Istio's release of the stack's istioVersion. */
export function istioctlInstructions(istioVersion: string): string {
  return (
    "put istioctl on PATH and run npm run doctor again. This project builds one with its end-to-end tools " +
    "(bash e2e/tools/build.sh, which npm run test:e2e runs; Go 1.26 or newer), at the Istio release the end-to-end suite pins, into the bin folder " +
    `of the folder bash e2e/tools/build.sh --dir prints: PATH="$(bash e2e/tools/build.sh --dir)/bin:$PATH" npm run doctor. ` +
    `Or Istio's own istioctl of the stack's istioVersion: curl -L https://istio.io/downloadIstio | ISTIO_VERSION=${istioVersion} sh - ` +
    `puts it in istio-${istioVersion}/bin`
  );
}

/** The finding from the analyzers' messages: broken on any error, each error and warning on a line of its own. */
export function analyzeFinding(messages: AnalyzerMessage[]): Finding {
  const errors = messages.filter((m) => m.level === "Error");
  const warnings = messages.filter((m) => m.level === "Warning");
  const notes = [...errors, ...warnings].map(analyzerLine);
  const warned = warnings.length > 0 ? `, ${plural(warnings.length, "warning")}` : "";
  if (errors.length > 0)
    return {
      link: ANALYZE_LINK,
      ok: false,
      detail: `${plural(errors.length, "error")} (${errors.map((m) => `${m.code} ${m.origin ?? "(no object)"}${m.cluster ? ` in ${m.cluster}` : ""}`).join("; ")})${warned}`,
      notes,
      fix: "each error names the object and what is wrong with it; istioctl's page on its code says why and how to fix it (https://istio.io/latest/docs/reference/config/analysis/)",
    };
  return { link: ANALYZE_LINK, ok: true, detail: warnings.length > 0 ? `no error${warned}` : "no validation issues", ...(notes.length > 0 ? { notes } : {}) };
}

/** `istioctl analyze` over the stack's two clusters, with the istioctl on this PATH; not checked without one. */
export function istioAnalyze(view: StackView, env: NodeJS.ProcessEnv = process.env): Promise<Finding> {
  const istioctl = resolveCommand("istioctl", env);
  if (istioctl === undefined) return Promise.resolve({ link: ANALYZE_LINK, ok: false, skipped: true, detail: "istioctl is not on PATH", fix: istioctlInstructions(view.istioVersion) });
  return safely(
    ANALYZE_LINK,
    async () => {
      const temp = makeTempDir("doctor-analyze");
      try {
        return analyzeFinding(istioctlAnalyze(istioctl, temp.dir, { primary: view.primaryKubeconfig, burst: view.burstKubeconfig }, env));
      } finally {
        temp.remove();
      }
    },
    "istioctl reads both clusters with the stack's kubeconfigs, as the other links do (gke-gcloud-auth-plugin on PATH for a GKE cluster); its own message above says what it met",
  );
}
