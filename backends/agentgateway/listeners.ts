// Binds and listeners: one Bind per Gateway TCP port, one Listener per Gateway (or ListenerSet) listener on it,
// pointing to the Bind by key. HTTPS and terminating TLS listeners carry their certificate chain and key inline
// (from the `tls` material of the change), and the client certificates they ask for (a ClientTrafficPolicy's or the
// Gateway's spec.tls.frontend); routes hang off each listener by key.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR, ListenerIR, PortIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import { translateAiRoute } from './ai.ts';
import type { BackendSet } from './backends.ts';
import { translateMcpRoute } from './mcp.ts';
import { bindKey, listenerKey } from './names.ts';
import { clientTrafficTls } from './policies/client-traffic.ts';
import { unsupportedText } from './policies/index.ts';
import { translateHttpRoute } from './routes.ts';
import { translateTcpRoute } from './tcp-routes.ts';
import type { Json } from './types.ts';

export interface PortContext {
  readonly backends: BackendSet;
  readonly tls: Readonly<Record<string, TlsMaterial>>;
  readonly problems: string[];
}

export interface TranslatedPort {
  readonly bind?: Json;
  readonly listeners: readonly Json[];
  readonly routes: readonly Json[];
  readonly tcpRoutes: readonly Json[];
  /** The model tables of its listeners (AIGatewayRoutes, ai.ts). */
  readonly modelRoutes: readonly Json[];
}

const LISTENER_PROTOCOL: Readonly<Record<string, string>> = {
  HTTP: 'HTTP',
  HTTPS: 'HTTPS',
  TLS: 'TLS',
  TCP: 'TCP',
};

export function translatePort(gateway: GatewayIR, port: PortIR, context: PortContext): TranslatedPort {
  if (port.transport === 'UDP') {
    context.problems.push(
      `port ${port.port}/UDP: agentgateway does not proxy UDP; its listeners are not programmed`,
    );
    // Each listener and route on it says so too (Programmed False; the route not Accepted, UnsupportedValue).
    const message =
      'the agentgateway data plane does not proxy UDP (its Bind protocols are HTTP, TLS and TCP)';
    for (const listener of port.listeners) {
      context.backends.refuse({
        listener: { owner: listener.owner, name: listener.name },
        severity: 'dropped',
        message,
      });
      for (const route of listener.routes)
        context.backends.refuse({ route: route.route, severity: 'dropped', message });
    }
    return { listeners: [], routes: [], tcpRoutes: [], modelRoutes: [] };
  }
  const bind = bindKey(gateway.gateway, port);
  const listeners: Json[] = [];
  const routes: Json[] = [];
  const tcpRoutes: Json[] = [];
  const modelRoutes: Json[] = [];
  for (const listener of port.listeners) {
    const protocol = LISTENER_PROTOCOL[listener.protocol];
    const key = listenerKey(bind, listener);
    if (protocol === undefined) {
      context.problems.push(
        `${key}: protocol ${listener.protocol} is not supported by agentgateway; skipped`,
      );
      continue;
    }
    const client =
      listener.clientTraffic === undefined
        ? { tls: {} }
        : clientTrafficTls(
            listener.clientTraffic,
            listener.tls?.mode === 'Terminate',
            listener.clientValidation !== undefined,
          );
    if ('unsupported' in client) {
      // A ClientTrafficPolicy agentgateway cannot express: the listener is not served rather than served without
      // it (fail closed); its status names the fields.
      const text = `the agentgateway data plane does not program this listener: ${client.unsupported.map(unsupportedText).join('; ')}`;
      context.problems.push(`${key}: ${text}`);
      context.backends.refuse({
        listener: { owner: listener.owner, name: listener.name },
        severity: 'dropped',
        message: text,
      });
      continue;
    }
    const certificate = listenerTls(listener, key, context);
    if (certificate === null) continue;
    const tls =
      certificate === undefined
        ? undefined
        : { ...certificate, ...client.tls, ...frontendValidation(listener.clientValidation) };
    listeners.push({
      key,
      bindKey: bind,
      name: {
        gatewayName: gateway.gateway.name,
        gatewayNamespace: gateway.gateway.namespace ?? '',
        listenerName: listener.name,
        ...(listener.owner.kind === 'ListenerSet'
          ? { listenerSet: { name: listener.owner.name, namespace: listener.owner.namespace ?? '' } }
          : {}),
      },
      ...(listener.hostname === undefined ? {} : { hostname: listener.hostname }),
      protocol,
      ...(tls === undefined ? {} : { tls }),
    });
    const address = { port: port.port, scheme: listener.protocol === 'HTTPS' ? 'https' : 'http' } as const;
    const ai = {
      listenerKey: key,
      backends: context.backends,
      problems: context.problems,
      models: new Map(),
    };
    for (const route of listener.routes) {
      if (route.extProc === true) {
        modelRoutes.push(...translateAiRoute(route, route.ai ?? { rules: [] }, ai));
      } else if (route.mcp !== undefined) {
        routes.push(...translateMcpRoute(route, route.mcp, key, context.backends, context.problems));
      } else if (route.kind === 'HTTPRoute' || route.kind === 'GRPCRoute') {
        routes.push(...translateHttpRoute(route, key, address, context.backends));
      } else if (route.kind === 'TCPRoute' || route.kind === 'TLSRoute') {
        tcpRoutes.push(...translateTcpRoute(route, key, context.backends));
      } else {
        context.problems.push(
          `${key}: ${route.kind} ${formatResourceKey(route.route)} is not supported by agentgateway; skipped`,
        );
      }
    }
  }
  if (listeners.length === 0) return { listeners, routes, tcpRoutes, modelRoutes };
  return {
    bind: { key: bind, port: port.port, protocol: bindProtocol(port) },
    listeners,
    routes,
    tcpRoutes,
    modelRoutes,
  };
}

/**
 * The Gateway's own client-certificate validation (spec.tls.frontend, HTTPS listeners) over a policy's, as on
 * Envoy: the CA bundle as `root`; AllowValidOnly → STRICT (a certificate chaining to it is required);
 * AllowInsecureFallback → ALLOW_INSECURE_FALLBACK, which asks for a certificate and lets any client in, an
 * untrusted certificate too (upstream `ServerTLSConfig`'s insecure-fallback verifier), as the spec's mode says.
 */
function frontendValidation(validation: ListenerIR['clientValidation']): Json {
  if (validation === undefined) return {};
  return {
    root: Buffer.from(validation.caBundle).toString('base64'),
    mtlsMode: validation.mode === 'AllowValidOnly' ? 'STRICT' : 'ALLOW_INSECURE_FALLBACK',
  };
}

/** A port of only plain-TCP listeners is TCP; one with TLS (terminated or passed through) is TLS; else HTTP. */
function bindProtocol(port: PortIR): string {
  if (port.listeners.every((l) => l.protocol === 'TCP')) return 'TCP';
  if (port.listeners.some((l) => l.protocol === 'TLS' || l.protocol === 'HTTPS')) return 'TLS';
  return 'HTTP';
}

/**
 * The TLSConfig of a terminating listener; undefined when it does not terminate TLS; null when its certificate
 * is missing (the listener is not programmed, and the problem says why).
 */
function listenerTls(listener: ListenerIR, key: string, context: PortContext): Json | undefined | null {
  if (listener.tls === undefined || listener.tls.mode !== 'Terminate') return undefined;
  const certificates = listener.tls.certificates;
  const first = certificates[0];
  const material = first === undefined ? undefined : context.tls[formatResourceKey(first)];
  const ref = { owner: listener.owner, name: listener.name };
  if (material === undefined) {
    const text = `no TLS material for ${first === undefined ? 'its certificateRefs' : formatResourceKey(first)}; listener not programmed`;
    context.problems.push(`${key}: ${text}`);
    context.backends.refuse({
      listener: ref,
      severity: 'dropped',
      message: `the agentgateway data plane: ${text}`,
    });
    return null;
  }
  if (certificates.length > 1) {
    // Served with its first certificate: a client asking (by SNI) for a name only another one holds gets the first.
    const text = `agentgateway takes one certificate per listener; serving ${formatResourceKey(first!)} and ignoring ${certificates
      .slice(1)
      .map((c, i) => `tls.certificateRefs[${i + 1}] ${formatResourceKey(c)}`)
      .join(', ')}`;
    context.problems.push(`${key}: ${text}`);
    context.backends.refuse({ listener: ref, severity: 'warning', message: text });
  }
  return {
    cert: Buffer.from(material.certificateChain).toString('base64'),
    privateKey: Buffer.from(material.privateKey).toString('base64'),
  };
}
