/**
 * Pulumi unit-test harness: mocks the engine (`pulumi.runtime.setMocks`), records every resource the
 * program registers with its inputs and provider, and resolves Outputs. Call `setupPulumiMocks` before
 * importing the program or component under test (use `jest.isolateModules`/`jest.resetModules` to run a
 * program again with other config).
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  /** URN-less id handed back by the mock */
  id: string;
  inputs: Record<string, any>;
  /** the provider reference (`urn::id`) the resource was registered with, if any */
  provider?: string;
  custom: boolean;
}

export interface PulumiMocks {
  resources: RecordedResource[];
  /** all recorded resources of a type token, e.g. "kubernetes:apps/v1:Deployment" */
  ofType(type: string): RecordedResource[];
  /** the one resource with this type and logical name (throws when absent) */
  get(type: string, name: string): RecordedResource;
}

export type OutputsFor = (r: { type: string; name: string; inputs: Record<string, any> }) => Record<string, any> | undefined;

/**
 * @param config  stack config as `key` -> string value; keys without a namespace get `istio-burst:`.
 * @param outputs extra state the mock returns for a resource (e.g. a GKE cluster's endpoint), merged over its inputs.
 */
export function setupPulumiMocks(config: Record<string, string> = {}, outputs: OutputsFor = () => undefined): PulumiMocks {
  const resources: RecordedResource[] = [];
  const fullConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) fullConfig[k.includes(":") ? k : `istio-burst:${k}`] = v;
  // Config is read through the PULUMI_CONFIG environment variable by a fresh @pulumi/pulumi module.
  process.env.PULUMI_CONFIG = JSON.stringify(fullConfig);
  for (const [k, v] of Object.entries(fullConfig)) pulumi.runtime.setConfig(k, v);

  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const id = `${args.name}-id`;
        resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, provider: args.provider, custom: args.custom ?? true });
        return { id, state: { ...args.inputs, ...(outputs({ type: args.type, name: args.name, inputs: args.inputs }) ?? {}) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "istio-burst",
    "test",
    false,
  );

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    ofType,
    get(type, name) {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) {
        const names = ofType(type).map((r) => r.name);
        throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
      }
      return found;
    },
  };
}

/** The value of an Output (resolves once the mock engine has run). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Lets the mock engine finish registering every resource the program has started. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
