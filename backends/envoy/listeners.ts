// Listeners: one per Gateway port. HTTP listeners share one filter chain (HTTP connection manager over RDS,
// isolated by virtual host); HTTPS listeners get a filter chain per SNI hostname terminating TLS with SDS
// certificates; TLS listeners pass through or terminate into a TCP proxy chosen by SNI; TCP and UDP ports
// proxy to their route's backends.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { ListenerIR, PortIR, RouteIR } from '../../model/ir/gateway-ir.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import { aiListenerFields, extProcHttpFilter, hasAIRoutes, withAIGatewayAccessLog } from './ai-gateway.ts';
import {
  connectionFilters,
  connectionManagerFields,
  listenerFields,
  routerFields,
  sharedClientTraffic,
  withClientTls,
  withClientValidation,
} from './client-traffic.ts';
import type { ResolvedBackendIR } from './cluster-use.ts';
import type { ClusterSet } from './clusters.ts';
import { ADS_SOURCE, FILTER, type Json, TYPE } from './envoy-types.ts';
import { AUTHENTICATION_FILTERS, type FilterContext, LATE_FILTERS, servedRules } from './filters/index.ts';
import { RBAC_FILTER } from './filters/rbac.ts';
import { inferenceHttpFilters } from './inference.ts';
import { stripInternalHeaders } from './internal-headers.ts';
import {
  listenerKey,
  listenerName,
  listenerRouteName,
  portRouteName,
  secretName,
  tlsMaterialKey,
} from './names.ts';
import { translateVirtualHosts } from './routes.ts';
import { translateSecret } from './secrets.ts';

export interface PortContext extends FilterContext {
  readonly bindAddress: string;
  readonly clusters: ClusterSet;
  readonly tls: Readonly<Record<string, TlsMaterial>>;
  /** Secrets used so far, by name. */
  readonly secrets: Map<string, Json>;
  readonly problems: string[];
}

export interface TranslatedPort {
  readonly listener: Json | undefined;
  readonly routeConfigurations: readonly Json[];
}

export function translatePort(port: PortIR, context: PortContext): TranslatedPort {
  const name = listenerName(port.port, port.transport);
  if (port.transport === 'UDP')
    return { listener: udpListener(name, port, context), routeConfigurations: [] };
  const chains: Json[] = [];
  const routeConfigurations: Json[] = [];
  const chainMatches = new Set<string>();
  const addChain = (chain: Json, owner: string) => {
    const key = JSON.stringify(chain.filterChainMatch ?? {});
    if (chainMatches.has(key)) {
      context.problems.push(`${owner}: another listener on port ${port.port} already serves ${key}; skipped`);
      return;
    }
    chainMatches.add(key);
    chains.push(chain);
  };

  const http = port.listeners.filter((l) => l.protocol === 'HTTP');
  if (http.length > 0) {
    const routeName = portRouteName(port.port);
    routeConfigurations.push(
      routeConfiguration(routeName, translateVirtualHosts(http, port.port, context.clusters)),
    );
    const ai = http.some((l) => hasAIRoutes(l.routes)) ? [extProcHttpFilter()] : [];
    const clientTraffic = sharedClientTraffic(http, routeName, context.problems);
    const hcm = httpConnectionManager(
      routeName,
      [...ai, ...inferenceHttpFilters(http)],
      policyFilters(http, context),
      clientTraffic,
    );
    addChain(
      {
        name: routeName,
        filters: [
          ...connectionFilters(clientTraffic, routeName),
          ai.length > 0 ? withAIGatewayAccessLog(hcm) : hcm,
        ],
      },
      routeName,
    );
  }
  for (const listener of port.listeners) {
    const owner = listenerKey(listener);
    if (listener.protocol === 'HTTPS') {
      const transportSocket = downstreamTls(listener, context, ['h2', 'http/1.1']);
      if (transportSocket === undefined) continue;
      const clientTraffic = listener.clientTraffic;
      const routeName = listenerRouteName(port.port, listener);
      routeConfigurations.push(
        routeConfiguration(routeName, translateVirtualHosts([listener], port.port, context.clusters)),
      );
      addChain(
        {
          name: owner,
          ...sniMatch(listener.hostname === undefined ? [] : [listener.hostname]),
          transportSocket: {
            ...transportSocket,
            typedConfig: withClientValidation(
              withClientTls(transportSocket.typedConfig as Json, clientTraffic),
              listener.clientValidation,
            ),
          },
          filters: [
            ...connectionFilters(clientTraffic, routeName),
            (hasAIRoutes(listener.routes) ? withAIGatewayAccessLog : (hcm: Json) => hcm)(
              httpConnectionManager(
                routeName,
                [
                  ...(hasAIRoutes(listener.routes) ? [extProcHttpFilter()] : []),
                  ...inferenceHttpFilters([listener]),
                ],
                policyFilters([listener], context),
                clientTraffic,
              ),
            ),
          ],
        },
        owner,
      );
    } else if (listener.protocol === 'TLS') {
      const terminate = listener.tls?.mode === 'Terminate';
      const transportSocket = terminate ? downstreamTls(listener, context, []) : undefined;
      if (terminate && transportSocket === undefined) continue;
      for (const route of listener.routes.filter((r) => r.kind === 'TLSRoute')) {
        const hostnames =
          route.hostnames.length > 0
            ? route.hostnames
            : listener.hostname === undefined
              ? []
              : [listener.hostname];
        addChain(
          {
            name: `${owner}/${route.route.namespace ?? ''}/${route.route.name}`,
            ...sniMatch(hostnames),
            ...(transportSocket === undefined ? {} : { transportSocket }),
            filters: [tcpProxy(name, route, context)],
          },
          `${owner} TLSRoute ${route.route.namespace ?? ''}/${route.route.name}`,
        );
      }
    } else if (listener.protocol === 'TCP') {
      const route = listener.routes.find((r) => r.kind === 'TCPRoute');
      if (route !== undefined) addChain({ name: owner, filters: [tcpProxy(name, route, context)] }, owner);
    }
  }
  if (chains.length === 0) return { listener: undefined, routeConfigurations };
  const portClientTraffic = sharedClientTraffic(port.listeners, name, context.problems);
  const inspectsTls = chains.some(
    (chain) => chain.filterChainMatch !== undefined || chain.transportSocket !== undefined,
  );
  return {
    listener: {
      name,
      address: { socketAddress: { address: context.bindAddress, portValue: port.port } },
      ...listenerFields(portClientTraffic),
      ...(port.listeners.some((listener) => hasAIRoutes(listener.routes))
        ? aiListenerFields(portClientTraffic)
        : {}),
      ...(inspectsTls
        ? { listenerFilters: [{ name: FILTER.tlsInspector, typedConfig: { '@type': TYPE.tlsInspector } }] }
        : {}),
      filterChains: chains,
    },
    routeConfigurations,
  };
}

/**
 * Gateway API hostnames carry no port, but clients on a non-default port send one in Host: a virtual host is
 * chosen ignoring it, and the Host header still reaches the backend as the client sent it (the spec forwards it
 * unchanged; Envoy's stripAnyHostPort would rewrite it).
 */
function routeConfiguration(name: string, virtualHosts: Json[]): Json {
  return { name, ignorePortInHostMatching: true, virtualHosts };
}

/** The HTTP filters the policies of the rules these listeners serve need (filters/index.ts), by position. */
export interface PolicyFilters {
  readonly early: readonly Json[];
  readonly late: readonly Json[];
}

function policyFilters(listeners: readonly ListenerIR[], context: FilterContext): PolicyFilters {
  const rules = servedRules(listeners);
  return {
    early: AUTHENTICATION_FILTERS.flatMap((filter) => filter.chainFilters(rules, context)),
    late: LATE_FILTERS.flatMap((filter) => filter.chainFilters(rules, context)),
  };
}

/**
 * `before` are the chain's own extension filters (the AI Gateway's ext_proc filter, endpoint pickers); policy
 * filters go around them: authentication ahead (after CORS, so preflights are answered), external processors
 * and authorization behind, then the router. With extension filters, the headers they route by are removed from
 * what the client sent before anything runs (internal-headers.ts).
 */
export function httpConnectionManager(
  routeConfigName: string,
  before: readonly Json[] = [],
  policies: PolicyFilters = { early: [], late: [] },
  clientTraffic?: ClientTrafficIR,
): Json {
  const cors = { name: FILTER.cors, typedConfig: { '@type': TYPE.cors } };
  // The client address authorization and client IP detection work from is the peer's (plus trusted hops),
  // never an X-Forwarded-For the client wrote itself.
  // (A custom-header detection extension replaces it: Envoy refuses the two together.)
  const trustPeer =
    clientTraffic?.clientIPDetection?.kind !== 'customHeader' &&
    (clientTraffic?.clientIPDetection !== undefined ||
      policies.late.some((filter) => filter.name === RBAC_FILTER));
  // Without policy filters the order stays as it always was (extensions, CORS, router).
  const httpFilters =
    policies.early.length === 0 && policies.late.length === 0
      ? [...before, cors]
      : [cors, ...policies.early, ...before, ...policies.late];
  return {
    name: FILTER.httpConnectionManager,
    typedConfig: {
      '@type': TYPE.httpConnectionManager,
      statPrefix: routeConfigName,
      rds: { routeConfigName, configSource: ADS_SOURCE },
      upgradeConfigs: [{ upgradeType: 'websocket' }],
      // The extension filters (AI Gateway ext_proc, endpoint pickers) set headers that route the request.
      ...(before.length > 0 ? { earlyHeaderMutationExtensions: stripInternalHeaders() } : {}),
      ...(trustPeer ? { useRemoteAddress: true } : {}),
      ...connectionManagerFields(clientTraffic),
      httpFilters: [
        ...httpFilters,
        { name: FILTER.router, typedConfig: { '@type': TYPE.router, ...routerFields(clientTraffic) } },
      ],
    },
  };
}

function sniMatch(hostnames: readonly string[]): Json {
  return hostnames.length === 0 ? {} : { filterChainMatch: { serverNames: [...hostnames] } };
}

function downstreamTls(
  listener: ListenerIR,
  context: PortContext,
  alpn: readonly string[],
): Json | undefined {
  const certificates = listener.tls?.certificates ?? [];
  const missing = certificates.filter((c) => context.tls[tlsMaterialKey(c)] === undefined);
  if (certificates.length === 0 || missing.length > 0) {
    context.problems.push(
      `${listenerKey(listener)}: no TLS material for ${missing.map(tlsMaterialKey).join(', ') || 'its certificateRefs'}; listener not programmed`,
    );
    return undefined;
  }
  for (const certificate of certificates) {
    context.secrets.set(
      secretName(certificate),
      translateSecret(certificate, context.tls[tlsMaterialKey(certificate)]!),
    );
  }
  return {
    name: FILTER.tlsTransportSocket,
    typedConfig: {
      '@type': TYPE.downstreamTlsContext,
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: certificates.map((c) => ({
          name: secretName(c),
          sdsConfig: ADS_SOURCE,
        })),
        ...(alpn.length > 0 ? { alpnProtocols: [...alpn] } : {}),
      },
    },
  };
}

/**
 * Weighted backends of an L4 route's first rule (with its BackendTrafficPolicy's cluster settings); the blackhole
 * cluster when none is usable.
 */
function l4Clusters(route: RouteIR, clusters: ClusterSet): { name: string; weight: number }[] {
  const rule = route.rules[0];
  const valid = (rule?.backends ?? []).filter(
    (b): b is ResolvedBackendIR => b.kind !== 'Invalid' && b.weight > 0,
  );
  const traffic = rule?.policies?.traffic?.cluster;
  return valid.length === 0
    ? [{ name: clusters.blackhole(), weight: 1 }]
    : valid.map((b) => ({ name: clusters.use(b, false, traffic), weight: b.weight }));
}

function tcpProxy(statPrefix: string, route: RouteIR, context: PortContext): Json {
  const targets = l4Clusters(route, context.clusters);
  return {
    name: FILTER.tcpProxy,
    typedConfig: {
      '@type': TYPE.tcpProxy,
      statPrefix,
      ...(targets.length === 1 ? { cluster: targets[0]!.name } : { weightedClusters: { clusters: targets } }),
    },
  };
}

function udpListener(name: string, port: PortIR, context: PortContext): Json | undefined {
  const route = port.listeners.flatMap((l) => l.routes).find((r) => r.kind === 'UDPRoute');
  if (route === undefined) return undefined;
  // udp_proxy routes to one cluster: several weighted backends become one cluster of all their endpoints, each
  // weighted so every backend keeps its share of the sessions (clusters.ts, `blend`).
  const valid = (route.rules[0]?.backends ?? []).filter(
    (b): b is ResolvedBackendIR => b.kind !== 'Invalid' && b.weight > 0,
  );
  const blended =
    valid.length > 1
      ? context.clusters.blend(`udp/${port.port}/${route.route.namespace ?? ''}/${route.route.name}`, valid)
      : undefined;
  const [target] =
    blended === undefined
      ? l4Clusters(route, context.clusters).sort((a, b) => b.weight - a.weight)
      : [{ name: blended }];
  return {
    name,
    address: { socketAddress: { protocol: 'UDP', address: context.bindAddress, portValue: port.port } },
    udpListenerConfig: {},
    listenerFilters: [
      {
        name: FILTER.udpProxy,
        typedConfig: {
          '@type': TYPE.udpProxy,
          statPrefix: name,
          matcher: {
            onNoMatch: {
              action: { name: 'route', typedConfig: { '@type': TYPE.udpRoute, cluster: target!.name } },
            },
          },
        },
      },
    ],
  };
}
