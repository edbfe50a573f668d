// Static backends: agentgateway's StaticBackend is one host:port, so a Service port becomes one Backend per ready
// endpoint the IR resolved (an ExternalName Service: its DNS name), and a backendRef's weight is spread over its
// endpoints; a BackendTLSPolicy becomes each such Backend's inline TLS policy. InferencePools become workload
// Services (inference.ts). A backend agentgateway cannot reach (invalid ref, no endpoints, a pool whose picker
// reference is invalid) points to a key nothing publishes, which agentgateway answers with 500.
import type { DataPlaneRefusal, TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { BackendTLS } from '../../model/ir/backends.ts';
import type { BackendIR, GatewayIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import { clientCertificate, envoyGatewayBackends } from './envoy-gateway-backends.ts';
import { PoolSet } from './inference.ts';
import { endpointBackendKey, unavailableBackendKey } from './names.ts';
import type { Json } from './types.ts';

export type ResolvedBackendIR = Exclude<BackendIR, { kind: 'Invalid' }>;

/** One agentgateway backend a backendRef spreads to, with its share of the ref's weight (before scaling). */
export interface BackendTarget {
  /** The BackendReference: a Backend key (`{ backend }`) or a workload Service (`{ service, port }`). */
  readonly ref: Json;
  /** Backend policies of this target (an InferencePool's InferenceRouting). */
  readonly policies: readonly Json[];
  /** Weight relative to the other targets of the same ref; all targets of a ref sum to `parts`. */
  readonly share: number;
  readonly parts: number;
}

/** The route rule a backendRef belongs to, for its status. */
export interface RuleOrigin {
  readonly route: ResourceKey;
  readonly rule: number;
}

const MAX_WEIGHT = 2 ** 31 - 1;

/** Collects the Backend resources translation refers to, so each is generated once. */
export class BackendSet {
  readonly #backends = new Map<string, Json>();
  readonly #problems: string[];
  readonly #unsupported: DataPlaneRefusal[] = [];
  readonly pools: PoolSet;

  readonly #tls: Readonly<Record<string, TlsMaterial>>;

  /**
   * The Gateway's backend client certificate (spec.tls.backend.clientCertificateRef) as BackendTLS `cert` and
   * `key`, presented to every Service reached over TLS; `refuse` when it names one that cannot be used (its
   * problem, or no material): those backends then get no traffic rather than a connection without it.
   */
  readonly #clientCertificate: Json | 'refuse' | undefined;

  constructor(
    problems: string[],
    options: {
      readonly tls?: Readonly<Record<string, TlsMaterial>>;
      readonly clientCertificate?: GatewayIR['backendClientCertificate'];
    } = {},
  ) {
    this.#problems = problems;
    this.#tls = options.tls ?? {};
    this.pools = new PoolSet(problems);
    const configured = options.clientCertificate;
    if (configured === undefined) this.#clientCertificate = undefined;
    else if ('problem' in configured) this.#clientCertificate = 'refuse';
    else {
      const material = this.#tls[formatResourceKey(configured.secret)];
      if (material === undefined)
        problems.push(
          `spec.tls.backend.clientCertificateRef: no TLS material for ${formatResourceKey(configured.secret)}; TLS backends get no traffic`,
        );
      this.#clientCertificate = material === undefined ? 'refuse' : clientCertificate(material);
    }
  }

  /**
   * The targets of one backend; `owner` (a route key) names unreachable ones. `http` is false for TCP and TLS
   * routes, which cannot send to an InferencePool (its status says NotSupportedByParent). `origin`: the route rule
   * whose status names a share agentgateway cannot forward (an Envoy Gateway Backend's TLS it cannot express).
   */
  targets(backend: BackendIR, owner: string, http = true, origin?: RuleOrigin): readonly BackendTarget[] {
    if (backend.kind === 'Invalid') return [unavailable(owner, 'invalid')];
    if (backend.kind === 'InferencePool') {
      if (!http) {
        this.#problems.push(
          `${owner}: InferencePool ${formatResourceKey(backend.pool)} serves HTTP and gRPC routes only; its share is not forwarded`,
        );
        return [unavailable(owner, 'inference-pool')];
      }
      const targets = this.pools.targets(backend, owner);
      if ('unavailable' in targets) return [unavailable(owner, targets.unavailable)];
      return targets.map((t) => ({ ref: t.ref, policies: t.policies, share: 1, parts: t.parts }));
    }
    if (backend.kind === 'Backend') {
      const translated = envoyGatewayBackends(backend, this.#tls);
      if ('problem' in translated) {
        this.#problems.push(`${owner}: ${translated.problem}`);
        // The rule is served, less this share (500): a warning on the rule, naming the field and the data plane.
        if (origin !== undefined)
          this.refuse({
            ...origin,
            severity: 'warning',
            message: `the agentgateway data plane answers this backendRef's share 500: ${translated.problem.replace(/; its share is not forwarded$/, '')}`,
          });
        return [unavailable(owner, 'envoy-gateway-backend')];
      }
      if (translated.backends.length === 0) return [unavailable(owner, 'no-endpoints')];
      for (const resource of translated.backends) this.#backends.set(String(resource.key), resource);
      return translated.backends.map((resource) => ({
        ref: { backend: resource.key },
        policies: [],
        share: 1,
        parts: translated.backends.length,
      }));
    }
    if (backend.tls !== undefined && this.#clientCertificate === 'refuse') {
      this.#problems.push(
        `${owner}: the Gateway's spec.tls.backend.clientCertificateRef cannot be presented; TLS backend ${formatResourceKey(backend.service)} gets no traffic`,
      );
      return [unavailable(owner, 'client-certificate')];
    }
    const hosts =
      backend.externalName !== undefined
        ? [{ host: backend.externalName, port: backend.port }]
        : backend.endpoints.map((e) => ({ host: e.address, port: e.port }));
    if (hosts.length === 0) return [unavailable(owner, 'no-endpoints')];
    return hosts.map(({ host, port }) => {
      const key = endpointBackendKey(backend.service, backend.port, `${host}:${port}`);
      if (!this.#backends.has(key)) {
        this.#backends.set(key, {
          key,
          name: { name: backend.service.name, namespace: backend.service.namespace ?? '' },
          static: { host, port },
          ...(backend.tls === undefined
            ? {}
            : {
                inlinePolicies: [
                  {
                    backendTls: {
                      ...(typeof this.#clientCertificate === 'object' ? this.#clientCertificate : {}),
                      ...backendTls(backend.tls),
                    },
                  },
                ],
              }),
        });
      }
      return { ref: { backend: key }, policies: [], share: 1, parts: hosts.length };
    });
  }

  /** Names a part of the IR this backend cannot program (it ends in the Gateway's Programmed message). */
  report(problem: string): void {
    this.#problems.push(problem);
  }

  /** A value of a route rule or listener agentgateway cannot express (its status names it: UnsupportedValue). */
  refuse(refusal: DataPlaneRefusal): void {
    this.#unsupported.push(refusal);
  }

  /** What was refused, in translation order. */
  unsupported(): readonly DataPlaneRefusal[] {
    return this.#unsupported;
  }

  /** RouteBackends for a weighted list: each ref keeps its weight, split evenly over its endpoints. */
  routeBackends(
    backends: readonly BackendIR[],
    owner: string,
    policies: (backend: BackendIR) => readonly Json[],
    http = true,
    origin?: RuleOrigin,
  ): Json[] {
    const weighted = backends
      .filter((b) => b.weight > 0)
      .map((b) => ({ backend: b, targets: this.targets(b, owner, http, origin) }));
    // Scale every weight by the least common multiple of the endpoint counts, so each endpoint's part is whole;
    // when that would overflow int32 the parts are rounded (a share off by less than one in a million).
    const lcm = weighted.reduce((m, w) => leastCommonMultiple(m, w.targets[0]?.parts ?? 1), 1);
    const maxWeight = Math.max(0, ...weighted.map((w) => w.backend.weight));
    const exact = lcm * maxWeight <= MAX_WEIGHT;
    const out: Json[] = [];
    for (const { backend, targets } of weighted) {
      const extra = policies(backend);
      for (const target of targets) {
        const weight = exact
          ? (backend.weight * lcm) / target.parts
          : Math.max(1, Math.round((backend.weight * 1_000_000) / target.parts / Math.max(1, maxWeight)));
        const all = [...target.policies, ...extra];
        out.push({ backend: target.ref, weight, ...(all.length > 0 ? { backendPolicies: all } : {}) });
      }
    }
    return out;
  }

  /** A Backend resource made elsewhere (an MCPRoute's, mcp.ts), by its key. */
  add(backend: Json): void {
    this.#backends.set(String(backend.key), backend);
  }

  /** The Backend resources referred to, by key, sorted. */
  resources(): Readonly<Record<string, Json>> {
    return Object.fromEntries([...this.#backends.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** A target on a backend key nothing publishes: agentgateway answers its share with 500. */
function unavailable(owner: string, why: string): BackendTarget {
  return { ref: { backend: unavailableBackendKey(owner, why) }, policies: [], share: 1, parts: 1 };
}

/** A BackendTLSPolicy in force for the Service port: SNI and verification by hostname or SANs, CA bundle. */
export function backendTls(tls: BackendTLS): Json {
  const sans = tls.subjectAltNames.map((san) => san.value);
  return {
    ...(tls.caBundle === undefined ? {} : { root: Buffer.from(tls.caBundle).toString('base64') }),
    hostname: tls.hostname,
    ...(sans.length > 0 ? { verifySubjectAltNames: sans } : {}),
  };
}

function leastCommonMultiple(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
