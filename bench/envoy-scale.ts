// Shared by the envoy.* benchmarks: the controlplane.fullsync scale (1,000 Gateways, 10,000 HTTPRoutes,
// 2,000 Services) as Gateway IR synthesised directly — the shape buildGatewayIR gives those manifests (one HTTP
// listener on port 80 per Gateway, ten routes each with their own hostname, two matches and one Service
// backend with one ready endpoint) — and a minimal delta ADS client that plays Envoy's part and ACKs everything.
import { type ClientDuplexStream, credentials, makeClientConstructor } from '@grpc/grpc-js';
import { DEFAULT_GATEWAY_CLASS_PARAMETERS } from '../model/gateway-api/gateway-class.ts';
import type { GatewayIR, RouteIR } from '../model/ir/gateway-ir.ts';
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../model/resources/resource-key.ts';
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  TYPE_URL,
} from '../protos/index.ts';

export const SCALE = { gateways: 1_000, routes: 10_000, services: 2_000, namespaces: 10 } as const;
const ROUTES_PER_GATEWAY = SCALE.routes / SCALE.gateways;

export function gatewayKeyOf(g: number): ResourceKey {
  return resourceKey(GATEWAY_GROUP, 'Gateway', `ns-${g % SCALE.namespaces}`, `gw-${g}`);
}

/** `<namespace>/<gateway>`: the node cluster of a proxy serving Gateway g. */
export function nodeClusterOfGateway(g: number): string {
  return `ns-${g % SCALE.namespaces}/gw-${g}`;
}

/** Route `index` as controlplane.fullsync's manifest resolves (path overridable to make a change). */
export function routeIR(index: number, path = `/r${index}`): RouteIR {
  const gateway = index % SCALE.gateways;
  const namespace = `ns-${gateway % SCALE.namespaces}`;
  const service =
    (index % (SCALE.services / SCALE.namespaces)) * SCALE.namespaces + (gateway % SCALE.namespaces);
  return {
    route: resourceKey(GATEWAY_GROUP, 'HTTPRoute', namespace, `route-${index}`),
    kind: 'HTTPRoute',
    hostnames: [`r${index}.gw-${gateway}.example.com`],
    rules: [
      {
        index: 0,
        matches: [
          { path: { type: 'PathPrefix', value: path } },
          {
            headers: [{ name: 'x-route', value: `r${index}`, type: 'Exact' }],
            path: { type: 'PathPrefix', value: '/' },
          },
        ],
        filters: [],
        backends: [
          {
            weight: 1,
            kind: 'Service',
            service: resourceKey('', 'Service', namespace, `svc-${service}`),
            port: 8080,
            protocol: 'TCP',
            endpoints: [{ address: `10.${service >> 8}.${service & 255}.1`, port: 3000 }],
          },
        ],
        mirrors: [],
      },
    ],
  };
}

/** Gateway g's IR; `paths` overrides the path of some of its routes (by route index). */
export function gatewayIROf(g: number, paths: ReadonlyMap<number, string> = new Map()): GatewayIR {
  const gateway = gatewayKeyOf(g);
  const routes: RouteIR[] = [];
  for (let k = 0; k < ROUTES_PER_GATEWAY; k++) {
    const index = g + k * SCALE.gateways;
    routes.push(routeIR(index, paths.get(index)));
  }
  return {
    gateway,
    gatewayClassName: 'switchyard',
    parameters: DEFAULT_GATEWAY_CLASS_PARAMETERS,
    ports: [
      {
        port: 80,
        transport: 'TCP',
        listeners: [
          { owner: gateway, name: 'http', protocol: 'HTTP', hostname: `*.gw-${g}.example.com`, routes },
        ],
      },
    ],
  };
}

/** The route indices attached to Gateway g. */
export function routesOfGateway(g: number): number[] {
  return Array.from({ length: ROUTES_PER_GATEWAY }, (_, k) => g + k * SCALE.gateways);
}

type DeltaCall = ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
type AdsClient = InstanceType<ReturnType<typeof makeClientConstructor>>;

/** gRPC clients to the ADS server; `ownConnection` gives each its own HTTP/2 connection (like separate Envoys). */
export function adsClient(address: string, ownConnection: boolean): AdsClient {
  const Client = makeClientConstructor(aggregatedDiscoveryService() as never, 'ads');
  return new Client(address, credentials.createInsecure(), {
    ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

/**
 * One delta ADS stream subscribing as Envoy does (CDS wildcard, EDS by the clusters' names, LDS wildcard, RDS
 * by name) and ACKing every response at once. `onResponse` sees each response before it is ACKed.
 */
export class FakeEnvoy {
  readonly #call: DeltaCall;
  readonly #eds = new Set<string>();
  #rdsSubscribed = false;
  closed = false;
  readonly onResponse: (response: DeltaDiscoveryResponse) => void;

  constructor(
    client: AdsClient,
    node: { id: string; cluster: string },
    onResponse: (response: DeltaDiscoveryResponse) => void = () => {},
    routeConfigNames: readonly string[] = ['http/80'],
  ) {
    this.onResponse = onResponse;
    const method = (client as unknown as Record<string, () => DeltaCall>).DeltaAggregatedResources!;
    this.#call = method.call(client);
    this.#call.on('data', (response: DeltaDiscoveryResponse) => {
      this.onResponse(response);
      const subscribe: string[] = [];
      if (response.type_url === TYPE_URL.cluster) {
        for (const r of response.resources) {
          if (!this.#eds.has(r.name)) {
            this.#eds.add(r.name);
            subscribe.push(r.name);
          }
        }
      }
      // Envoy subscribes to the new endpoints before it ACKs the clusters (they warm first).
      if (subscribe.length > 0)
        this.#send({ type_url: TYPE_URL.clusterLoadAssignment, resource_names_subscribe: subscribe });
      this.#send({ type_url: response.type_url, response_nonce: response.nonce });
      if (response.type_url === TYPE_URL.listener && !this.#rdsSubscribed) {
        this.#rdsSubscribed = true;
        this.#send({
          type_url: TYPE_URL.routeConfiguration,
          resource_names_subscribe: [...routeConfigNames],
        });
      }
    });
    this.#call.on('error', () => {
      this.closed = true;
    });
    this.#send({ node: { ...node, user_agent_name: 'switchyard-bench' }, type_url: TYPE_URL.cluster });
    this.#send({ type_url: TYPE_URL.listener });
  }

  #send(request: Partial<DeltaDiscoveryRequest>): void {
    if (!this.closed) this.#call.write(request as DeltaDiscoveryRequest);
  }

  close(): void {
    this.closed = true;
    this.#call.cancel();
  }
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
