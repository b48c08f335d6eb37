/**
 * The Lease a leader election is held on (client-go's resourcelock.LeaseLock): a
 * `coordination.k8s.io/v1` Lease read, created and replaced through @kubernetes/client-node 1.x.
 * A replace carries the resourceVersion read, so two candidates writing the same version cannot both
 * win: the API server refuses the second with 409 Conflict.
 */
import { clientWith, KubeApiError, readKubeError } from "../kube-errors";

type K8s = typeof import("@kubernetes/client-node");
type KubeConfig = import("@kubernetes/client-node").KubeConfig;
type CoordinationV1Api = import("@kubernetes/client-node").CoordinationV1Api;
type V1Lease = import("@kubernetes/client-node").V1Lease;

/** What the Lease says of its holder (client-go's LeaderElectionRecord); times in ms since the epoch. */
export interface LeaderRecord {
  /** "" when released */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number;
  readonly renewTime: number;
  readonly leaderTransitions: number;
}

/** A record as read, with the version a replace must carry. */
export interface ReadRecord {
  readonly record: LeaderRecord;
  readonly resourceVersion: string;
}

/** Where the record lives. get() resolves to null when there is no Lease yet. */
export interface LeaseLock {
  readonly description: string;
  get(): Promise<ReadRecord | null>;
  /** fails when the Lease exists already */
  create(record: LeaderRecord): Promise<void>;
  /** fails with a conflict when the Lease changed since `resourceVersion` */
  update(record: LeaderRecord, resourceVersion: string): Promise<void>;
}

export interface KubernetesLeaseLockOptions {
  readonly namespace: string;
  readonly name: string;
  /** Defaults to KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, else in-cluster). */
  readonly kubeConfig?: KubeConfig;
}

export async function createKubernetesLeaseLock(opts: KubernetesLeaseLockOptions): Promise<KubernetesLeaseLock> {
  const { k8s, kc } = await clientWith(opts.kubeConfig);
  return new KubernetesLeaseLock(k8s, kc, opts);
}

export class KubernetesLeaseLock implements LeaseLock {
  readonly description: string;
  private readonly api: CoordinationV1Api;

  constructor(
    private readonly k8s: K8s,
    kc: KubeConfig,
    private readonly opts: KubernetesLeaseLockOptions,
  ) {
    this.api = kc.makeApiClient(k8s.CoordinationV1Api);
    this.description = `Lease ${opts.namespace}/${opts.name}`;
  }

  async get(): Promise<ReadRecord | null> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
      return { record: recordOf(lease), resourceVersion: lease.metadata?.resourceVersion ?? "" };
    } catch (err) {
      if (readKubeError(err).status === 404) return null;
      throw this.failure("reading", err);
    }
  }

  async create(record: LeaderRecord): Promise<void> {
    try {
      await this.api.createNamespacedLease({ namespace: this.opts.namespace, body: this.leaseOf(record) });
    } catch (err) {
      throw this.failure("creating", err);
    }
  }

  async update(record: LeaderRecord, resourceVersion: string): Promise<void> {
    try {
      await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: this.leaseOf(record, resourceVersion) });
    } catch (err) {
      throw this.failure("updating", err);
    }
  }

  private leaseOf(record: LeaderRecord, resourceVersion?: string): V1Lease {
    const micro = (ms: number) => new this.k8s.V1MicroTime(ms);
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.opts.name, namespace: this.opts.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: micro(record.acquireTime),
        renewTime: micro(record.renewTime),
        leaseTransitions: record.leaderTransitions,
      },
    };
  }

  private failure(doing: string, err: unknown): Error {
    const e = readKubeError(err);
    const what = `${doing} ${this.description}`;
    if (e.status === 403) return new KubeApiError(`${what}: forbidden (the watcher's Role needs get/update on this Lease and create on leases)`, e.status);
    if (e.status === 409) return new KubeApiError(`${what}: conflict (another watcher wrote it first)`, e.status);
    return new KubeApiError(`${what}: ${e.message ?? e.network}`, e.status);
  }
}

/** The record of a Lease as read (a time the client returns as text or as a Date). */
function recordOf(lease: V1Lease): LeaderRecord {
  const spec = lease.spec ?? {};
  const ms = (t: unknown) => (t === undefined || t === null ? 0 : new Date(t as string | Date).getTime() || 0);
  return {
    holderIdentity: spec.holderIdentity ?? "",
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: ms(spec.acquireTime),
    renewTime: ms(spec.renewTime),
    leaderTransitions: spec.leaseTransitions ?? 0,
  };
}
