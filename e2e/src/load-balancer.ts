/**
 * What a cloud's load-balancer controller does for a Service of type LoadBalancer, here on loopback:
 * it gives the Service an address (`status.loadBalancer.ingress[0].ip`), the one the Service asks for
 * when it names one (`spec.loadBalancerIP`, a reserved address), else the next one of its cluster's
 * range, a documentation range (RFC 5737) such as 198.51.100.0/24: not loopback, which an
 * EndpointSlice refuses (the remote profile points one at the primary's east-west gateway). Without
 * it nothing fills the status in, and Helm's wait and Pulumi's await hang. Nothing listens on the
 * addresses: no data plane runs here.
 */
import type { Kube } from "../../packages/tooling/src/kube";

export class LoadBalancerController {
  private timer: NodeJS.Timeout | undefined;
  private next = 1;
  private running: Promise<void> | undefined;
  /** every address given out, by `namespace/name` */
  readonly assigned = new Map<string, string>();

  /** `range`: the first three octets of this cluster's /24, e.g. `198.51.100` */
  constructor(
    private readonly kube: Kube,
    private readonly range: string,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.assignPending()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.everyMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: every LoadBalancer Service without an address gets one. */
  async assignPending(): Promise<void> {
    const services = await this.kube.core.listServiceForAllNamespaces();
    for (const svc of services.items) {
      if (svc.spec?.type !== "LoadBalancer" || (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0) continue;
      const id = `${svc.metadata!.namespace}/${svc.metadata!.name}`;
      const ip = svc.spec.loadBalancerIP || `${this.range}.${this.next++}`;
      svc.status = { ...svc.status, loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } };
      await this.kube.core.replaceNamespacedServiceStatus({ name: svc.metadata!.name!, namespace: svc.metadata!.namespace!, body: svc });
      this.assigned.set(id, ip);
    }
  }
}
