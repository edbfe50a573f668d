// InferencePool backends (Gateway API Inference Extension) on agentgateway. agentgateway lets an endpoint picker
// choose the destination only for a Service backend, and only among that Service's own endpoints, so a pool is
// sent as a workload Service (istio.workload.Service, hostname `<pool>.<ns>.inference.cluster.local`, one port per
// targetPort) with one Workload per ready Pod IP, and the route's backend refers to it by namespace and hostname.
// - With an endpoint picker, the RouteBackend carries the backend policy InferenceRouting: the picker is the
//   workload Service `<service>.<ns>.svc.cluster.local` on its port (its ready endpoints as Workloads), and the
//   failure mode FailOpen → FAIL_OPEN, FailClose → FAIL_CLOSED. agentgateway streams the request to the picker
//   and sends it to the `ip:port` the picker answers in `x-gateway-destination-endpoint`.
// - Without a picker, agentgateway load-balances over the Service's endpoints; a pool with several targetPorts
//   gets one RouteBackend per port, sharing the backendRef's weight evenly.
// Workloads are per IP and Gateway: an IP that is an endpoint of several of these Services is one Workload
// naming each of them (agentgateway indexes workloads by address too, so two Workloads must not share one).
import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from '../../model/ir/backends.ts';
import type { BackendIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { Json } from './types.ts';

type PoolBackend = Extract<BackendIR, { kind: 'InferencePool' }>;
type Picker = NonNullable<PoolBackend['endpointPicker']>;

/** One place a backendRef sends to: a BackendReference, with backend policies of its own. */
export interface PoolTarget {
  readonly ref: Json;
  readonly policies: readonly Json[];
  /** Share of the backendRef's weight: `1` of `parts`. */
  readonly parts: number;
}

/** The hostname of a pool's workload Service. */
export function poolHostname(pool: ResourceKey): string {
  return `${pool.name}.${pool.namespace ?? ''}.inference.cluster.local`;
}

/** The hostname of an endpoint picker's workload Service. */
export function pickerHostname(service: ResourceKey): string {
  return `${service.name}.${service.namespace ?? ''}.svc.cluster.local`;
}

/** Collects the workload Services and Workloads the pools of one Gateway need. */
export class PoolSet {
  readonly #services = new Map<string, Json>();
  /** Per IP: namespace and, per service key, the ports. */
  readonly #workloads = new Map<string, { namespace: string; services: Map<string, Json[]> }>();
  readonly #problems: string[];

  constructor(problems: string[]) {
    this.#problems = problems;
  }

  /**
   * Where a pool backendRef sends to, or a reason it cannot be served (`unavailable`): no targetPorts, an invalid
   * picker reference (the pool's status says why), or a picker without a port.
   */
  targets(pool: PoolBackend, owner: string): readonly PoolTarget[] | { unavailable: string } {
    if (pool.targetPorts.length === 0) {
      this.#problems.push(
        `${owner}: InferencePool ${formatResourceKey(pool.pool)} has no targetPorts; its share is answered 500`,
      );
      return { unavailable: 'inference-pool-no-ports' };
    }
    const picker = pool.endpointPicker;
    if (picker !== undefined && (picker.problem !== undefined || picker.port === undefined)) {
      return { unavailable: 'inference-pool-picker' };
    }
    const service = this.#poolService(pool);
    if (picker === undefined) {
      return pool.targetPorts.map((port) => ({
        ref: { service, port },
        policies: [],
        parts: pool.targetPorts.length,
      }));
    }
    const pickerRef = this.#pickerService(picker, picker.port as number);
    // The picker chooses among all Pods × targetPorts; the port here only names the Service's first one.
    return [
      {
        ref: { service, port: pool.targetPorts[0] },
        policies: [
          {
            inferenceRouting: {
              endpointPicker: { service: pickerRef, port: picker.port },
              failureMode: picker.failureMode === 'FailOpen' ? 'FAIL_OPEN' : 'FAIL_CLOSED',
            },
          },
        ],
        parts: 1,
      },
    ];
  }

  /** The pool's workload Service (once), its endpoints as Workloads; returns its BackendReference.Service. */
  #poolService(pool: PoolBackend): Json {
    const namespace = pool.pool.namespace ?? '';
    const hostname = poolHostname(pool.pool);
    const appProtocol = pool.appProtocol === 'kubernetes.io/h2c' ? 'HTTP2' : 'HTTP11';
    const ports = pool.targetPorts.map((port) => ({ servicePort: port, targetPort: port, appProtocol }));
    this.#addService(namespace, pool.pool.name, hostname, ports, pool.endpoints ?? [], (e) =>
      ports.filter((p) => p.targetPort === e.port),
    );
    return { namespace, hostname };
  }

  /** The picker's workload Service on its port (gRPC), its ready endpoints as Workloads. */
  #pickerService(picker: Picker, port: number): Json {
    const namespace = picker.service.namespace ?? '';
    const hostname = pickerHostname(picker.service);
    this.#addService(
      namespace,
      picker.service.name,
      hostname,
      [{ servicePort: port, appProtocol: 'GRPC' }],
      picker.endpoints,
      (e) => [{ servicePort: port, targetPort: e.port, appProtocol: 'GRPC' }],
    );
    return { namespace, hostname };
  }

  #addService(
    namespace: string,
    name: string,
    hostname: string,
    ports: readonly Json[],
    endpoints: readonly Endpoint[],
    endpointPorts: (endpoint: Endpoint) => readonly Json[],
  ): void {
    const serviceKey = `${namespace}/${hostname}`;
    if (this.#services.has(serviceKey)) return;
    this.#services.set(serviceKey, { name, namespace, hostname, ports: [...ports] });
    for (const endpoint of endpoints) {
      if (ipBytes(endpoint.address) === undefined) {
        this.#problems.push(
          `${serviceKey}: endpoint ${endpoint.address}:${endpoint.port} is not an IP address; left out`,
        );
        continue;
      }
      let workload = this.#workloads.get(endpoint.address);
      if (workload === undefined) {
        workload = { namespace, services: new Map() };
        this.#workloads.set(endpoint.address, workload);
      }
      const list = workload.services.get(serviceKey) ?? [];
      for (const port of endpointPorts(endpoint)) {
        if (!list.some((p) => JSON.stringify(p) === JSON.stringify(port))) list.push(port);
      }
      workload.services.set(serviceKey, list);
    }
  }

  /** The workload Services, by `<namespace>/<hostname>`, sorted. */
  services(): Readonly<Record<string, Json>> {
    return Object.fromEntries([...this.#services.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The Workloads, by uid (`<namespace>/<ip>`), sorted; each names the services it is an endpoint of. */
  workloads(): Readonly<Record<string, Json>> {
    const out: [string, Json][] = [];
    for (const [ip, { namespace, services }] of this.#workloads) {
      const uid = `${namespace}/${ip}`;
      const byService = [...services.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, ports]) => [
          key,
          { ports: [...ports].sort((a, b) => Number(a.targetPort) - Number(b.targetPort)) },
        ]);
      out.push([
        uid,
        {
          uid,
          namespace,
          addresses: [(ipBytes(ip) as Buffer).toString('base64')],
          services: Object.fromEntries(byService),
        },
      ]);
    }
    return Object.fromEntries(out.sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address as raw bytes; undefined when it is not an IP. */
export function ipBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  let text = address;
  const out: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  for (const group of [...left, ...fill, ...right]) {
    const value = Number.parseInt(group, 16);
    out.push(value >> 8, value & 0xff);
  }
  return Buffer.from(out);
}
