/**
 * `istioctl analyze` over both clusters, as an operator runs it: one kubeconfig holding both contexts,
 * `--context <primary> --remote-contexts <burst> -A`, its messages read from `-o json`.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import type { E2eTools } from "./tools";

export interface AnalyzerMessage {
  code: string;
  level: string;
  message: string;
  /** the object it is about, as istioctl names it */
  origin?: string;
}

interface KubeconfigDoc {
  clusters: { name: string }[];
  users: { name: string }[];
  contexts: { name: string; context: Record<string, unknown> }[];
}

/** One kubeconfig with each cluster's (self-contained) kubeconfig as a context named after it. */
export function mergedKubeconfig(configs: Record<string, string>): string {
  const merged: KubeconfigDoc & Record<string, unknown> = { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [], "current-context": Object.keys(configs)[0] };
  for (const [name, text] of Object.entries(configs)) {
    const doc = yaml.load(text) as KubeconfigDoc;
    const rename = <T extends { name: string }>(items: T[]) => items.map((i) => ({ ...i, name }));
    merged.clusters.push(...rename(doc.clusters));
    merged.users.push(...rename(doc.users));
    merged.contexts.push({ name, context: { cluster: name, user: name } });
  }
  return yaml.dump(merged);
}

/** The analyzers' messages for the two clusters (info included); a setup error when istioctl fails to run. */
export function analyze(tools: E2eTools, dir: string, configs: { primary: string; burst: string }): AnalyzerMessage[] {
  const file = join(dir, "analyze.kubeconfig");
  writeFileSync(file, mergedKubeconfig(configs), { mode: 0o600 });
  const run = spawnSync(tools.path("istioctl"), ["analyze", "--kubeconfig", file, "--context", "primary", "--remote-contexts", "burst", "-A", "-o", "json", "--failure-threshold", "Error"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  // exit 0: nothing at Error; 79 (istioctl's "analyzer found issues"): messages at Error; anything else: it did not run
  if (run.status !== 0 && run.status !== 79) throw new Error(`istioctl analyze failed (exit ${run.status}): ${run.stderr.trim().slice(0, 2000)}`);
  const messages = JSON.parse(run.stdout.trim() || "[]") as { code: string; level: string; message: string; origin?: string }[];
  return messages.map((m) => ({ code: m.code, level: m.level, message: m.message, origin: m.origin }));
}
