/**
 * `npm run doctor`: after `pulumi up`, checks every link of the burst against the live clusters and
 * says, per link, OK or what is wrong and what to do. Exits non-zero when any link is broken.
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
  type Finding,
} from "./links";
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
  findings.push(await eastWestGatewayHasAddress(clusters, view));
  findings.push(await injectionInBurst(clusters, view));
  findings.push(await remoteSecretReadsBurst(clusters, view));
  findings.push(await watcherAccess(clusters, view));
  findings.push(...(await frontendAndWatcher(view)));
  return findings;
}

export function report(findings: Finding[]): string {
  const lines = findings.flatMap((f) => [
    `  ${f.ok ? "OK  " : "FAIL"}  ${f.link}: ${f.detail}`,
    ...(f.ok || !f.fix ? [] : [`        what to do: ${f.fix}`]),
  ]);
  const failed = findings.filter((f) => !f.ok).length;
  return [...lines, failed === 0 ? `doctor: all ${findings.length} links OK` : `doctor: ${failed} of ${findings.length} links broken`].join("\n");
}

if (require.main === module) {
  runDoctor(process.argv.slice(2)).then(
    (findings) => {
      process.stdout.write(`${report(findings)}\n`);
      process.exit(findings.every((f) => f.ok) ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`doctor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
