/**
 * `npm run doctor`: after `pulumi up`, checks every link of the burst against the live clusters and
 * says, per link, OK or what is wrong and what to do; a link it cannot check from here (istioctl
 * analyze, without istioctl on PATH) is SKIP, with how to check it. Exits non-zero when any link is
 * broken (a skipped one is not).
 *
 *   npm run doctor                         the selected stack (pulumi stack output --show-secrets)
 *   npm run doctor -- --stack dev          another stack
 *   npm run doctor -- --outputs out.json   outputs saved with pulumi stack output --json --show-secrets
 *   npm run doctor -- --frontend-url URL   the frontend reached another way than frontendUrl
 */
import {
  apiServerAnswers,
  eastWestGatewayHasAddress,
  frontendAndWatcher,
  injectionInBurst,
  remoteSecretReadsBurst,
  watcherAccess,
  isBroken,
  type Finding,
} from "./links";
import { istioAnalyze } from "./istio-analyze";
import { istioReleases } from "./istio-release";
import { kubeFrom } from "../../packages/tooling/src/kube";
import { parseArgs, stackView } from "./outputs";

export async function runDoctor(argv: string[]): Promise<Finding[]> {
  const view = stackView(parseArgs(argv));
  const clusters = { primary: await kubeFrom(view.primaryKubeconfig), burst: await kubeFrom(view.burstKubeconfig) };
  const findings = [await apiServerAnswers("primary", clusters.primary), await apiServerAnswers("burst", clusters.burst)];
  // Nothing else can be checked through a cluster that does not answer.
  if (findings.some((f) => !f.ok)) return findings;
  findings.push(await istioReleases(clusters, view));
  findings.push(await istioAnalyze(view));
  findings.push(await eastWestGatewayHasAddress(clusters, view));
  findings.push(await injectionInBurst(clusters, view));
  findings.push(await remoteSecretReadsBurst(clusters, view));
  findings.push(await watcherAccess(clusters, view));
  findings.push(...(await frontendAndWatcher(view)));
  return findings;
}

/** One line per link (OK, FAIL, or SKIP when it could not be checked from here), its notes and what to do under it, and the count. */
export function report(findings: Finding[]): string {
  const lines = findings.flatMap((f) => [
    `  ${f.skipped ? "SKIP" : f.ok ? "OK  " : "FAIL"}  ${f.link}: ${f.detail}`,
    ...(f.notes ?? []).map((note) => `        ${note}`),
    ...(f.ok || !f.fix ? [] : [`        ${f.skipped ? "to check it" : "what to do"}: ${f.fix}`]),
  ]);
  const failed = findings.filter(isBroken).length;
  const skipped = findings.filter((f) => f.skipped).length;
  const checked = findings.length - skipped;
  const verdict = failed === 0 ? `doctor: all ${checked} links OK` : `doctor: ${failed} of ${checked} links broken`;
  return [...lines, skipped === 0 ? verdict : `${verdict}; ${skipped} not checked (SKIP above says how to check it)`].join("\n");
}

if (require.main === module) {
  runDoctor(process.argv.slice(2)).then(
    (findings) => {
      process.stdout.write(`${report(findings)}\n`);
      process.exit(findings.some(isBroken) ? 1 : 0);
    },
    (err: unknown) => {
      process.stderr.write(`doctor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
