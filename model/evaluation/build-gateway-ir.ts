// Building one Gateway's IR (model/ir/gateway-ir.ts) from the evaluations of the routes attached to it: ready
// listeners grouped by port, most specific hostname first, routes oldest first, spec defaults filled in.

import type { ListenerAttachment } from '../gateway-api/attachment.ts';
import { resolveBackendClientCertificate } from '../gateway-api/backend-client-certificate.ts';
import { isOurGatewayClass, resolveGatewayClassParameters } from '../gateway-api/gateway-class.ts';
import { evaluateGatewayListeners, type GatewayListeners } from '../gateway-api/gateway-listeners.ts';
import type { ValidatedListener } from '../gateway-api/listeners.ts';
import {
  attachedListenersOf,
  type EvaluatedBackend,
  type EvaluatedRule,
  listenerId,
  type RouteEvaluation,
} from '../gateway-api/route-status.ts';
import type { BackendIR, GatewayIR, ListenerIR, RouteIR, RuleIR } from '../ir/gateway-ir.ts';
import type { BackendTrafficIR, RateLimitRuleIR } from '../ir/traffic-policies.ts';
import { gatewayEnvoyProxy } from '../policies/envoy-proxy.ts';
import type { Gateway, RouteKind } from '../resources/gateway-api.ts';
import { compareResourceKeys, formatResourceKey } from '../resources/resource-key.ts';
import { hostnameSpecificity } from '../shared/hostnames.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export interface GatewayIROptions {
  readonly controllerName: string;
  readonly listeners?: GatewayListeners;
}

/**
 * Builds one Gateway's IR from the evaluations of the routes attached to it (others are ignored, so passing
 * every route is correct, passing only the attached ones is fast). Undefined when the Gateway is not ours or
 * its GatewayClass parameters are invalid.
 */
export function buildGatewayIR(
  gateway: Gateway,
  view: ResourceView,
  evaluations: Iterable<RouteEvaluation>,
  options: GatewayIROptions,
): GatewayIR | undefined {
  const gatewayClassName = String(gateway.spec?.gatewayClassName ?? '');
  const gatewayClass = view.get('GatewayClass', undefined, gatewayClassName);
  if (gatewayClass === undefined || !isOurGatewayClass(gatewayClass, options.controllerName))
    return undefined;
  const parameters = resolveGatewayClassParameters(gatewayClass, view);
  if (!parameters.ok) return undefined;
  const proxy = gatewayEnvoyProxy(gateway, gatewayClass, parameters.parameters.backend, view);
  if (!proxy.ok) return undefined;
  const evaluated = options.listeners ?? evaluateGatewayListeners(gateway, view);
  const listeners = [
    ...evaluated.listeners,
    ...evaluated.listenerSets.filter((s) => s.accepted.status === 'True').flatMap((s) => s.listeners),
  ].filter((l) => l.ready);

  const routesByListener = new Map<string, { order: RouteOrder; ir: RouteIR }[]>();
  const gatewayId = formatResourceKey(evaluated.gateway);
  for (const evaluation of evaluations) {
    let order: RouteOrder | undefined;
    // Each listener once per route (attachedListenersOf): a route lands on a listener once.
    for (const attached of attachedListenersOf(evaluation)) {
      if (attached.gatewayId !== gatewayId) continue;
      order ??= routeOrderOf(evaluation);
      const list = routesByListener.get(attached.listenerId);
      const entry = { order, ir: routeIR(evaluation, attached.attachment) };
      if (list === undefined) routesByListener.set(attached.listenerId, [entry]);
      else list.push(entry);
    }
  }

  const ports = new Map<string, { port: number; transport: 'TCP' | 'UDP'; listeners: ValidatedListener[] }>();
  for (const listener of listeners) {
    const transport = listener.protocol === 'UDP' ? 'UDP' : 'TCP';
    const id = `${listener.port}/${transport}`;
    const entry = ports.get(id) ?? { port: listener.port, transport, listeners: [] };
    entry.listeners.push(listener);
    ports.set(id, entry);
  }
  const clientCertificate = resolveBackendClientCertificate(gateway, view);
  return {
    gateway: evaluated.gateway,
    gatewayClassName,
    parameters: parameters.parameters,
    ...(proxy.envoyProxy === undefined ? {} : { envoyProxy: proxy.envoyProxy }),
    ...(clientCertificate === undefined
      ? {}
      : {
          backendClientCertificate: clientCertificate.ok
            ? { secret: clientCertificate.secret }
            : { problem: clientCertificate.message },
        }),
    ports: [...ports.values()]
      .sort((a, b) => a.port - b.port || (a.transport < b.transport ? -1 : 1))
      .map((entry) => ({
        port: entry.port,
        transport: entry.transport,
        listeners: entry.listeners
          .slice()
          .sort(
            (a, b) =>
              hostnameSpecificity(b.hostname) - hostnameSpecificity(a.hostname) ||
              compareStrings(a.hostname ?? '', b.hostname ?? '') ||
              compareResourceKeys(a.owner, b.owner) ||
              compareStrings(a.name, b.name),
          )
          .map((listener) =>
            listenerIR(listener, routesByListener.get(listenerId(listener.owner, listener.name)) ?? []),
          ),
      })),
  };
}

interface RouteOrder {
  readonly created: string;
  /** formatResourceKey of the route, computed once for sorting. */
  readonly key: string;
}

/** Where a route sorts among a listener's, once per evaluation (each change of a Gateway reads every route's). */
const routeOrders = new WeakMap<RouteEvaluation, RouteOrder>();

function routeOrderOf(evaluation: RouteEvaluation): RouteOrder {
  let order = routeOrders.get(evaluation);
  if (order === undefined) {
    order = { created: evaluation.creationTimestamp ?? '', key: formatResourceKey(evaluation.route) };
    routeOrders.set(evaluation, order);
  }
  return order;
}

function listenerIR(listener: ValidatedListener, routes: { order: RouteOrder; ir: RouteIR }[]): ListenerIR {
  return {
    owner: listener.owner,
    name: listener.name,
    protocol: listener.protocol,
    ...(listener.hostname === undefined ? {} : { hostname: listener.hostname.toLowerCase() }),
    ...(listener.tlsMode === undefined
      ? {}
      : { tls: { mode: listener.tlsMode, certificates: listener.certificates.map((c) => c.secret) } }),
    ...(listener.clientValidation === undefined ? {} : { clientValidation: listener.clientValidation }),
    routes: routes
      .sort(
        (a, b) =>
          compareCreation(a.order.created, b.order.created) || compareStrings(a.order.key, b.order.key),
      )
      .map((entry) => entry.ir),
  };
}

/**
 * The IR of a route on one listener it attached to, built once per evaluation and listener: an evaluation is
 * immutable and the reference validator keeps it until the route or something it reads changes, so the next IR of
 * the Gateway holds the same RouteIR objects for every route that did not change. What reads the IR downstream
 * (the deployer's "did it change?", the backends' per-rule digests) then does work for the changed routes only,
 * not for every route of the Gateway on every change.
 */
const routeIRs = new WeakMap<ListenerAttachment, RouteIR>();
const rulesOfEvaluation = new WeakMap<RouteEvaluation, readonly RuleIR[]>();

function routeIR(evaluation: RouteEvaluation, attached: ListenerAttachment): RouteIR {
  let ir = routeIRs.get(attached);
  if (ir === undefined) {
    let rules = rulesOfEvaluation.get(evaluation);
    if (rules === undefined) {
      rules = evaluation.rules.filter((r) => r.verdict.valid).map((r) => ruleIR(r, evaluation.kind));
      rulesOfEvaluation.set(evaluation, rules);
    }
    ir = {
      route: evaluation.route,
      kind: evaluation.kind,
      hostnames: attached.hostnames,
      rules,
      ...(evaluation.extProc === true ? { extProc: true } : {}),
      ...(evaluation.mcp === undefined ? {} : { mcp: evaluation.mcp }),
      ...(evaluation.ai === undefined ? {} : { ai: evaluation.ai }),
    };
    routeIRs.set(attached, ir);
  }
  return ir;
}

function ruleIR(rule: EvaluatedRule, kind: RouteKind): RuleIR {
  return {
    index: rule.index,
    ...(rule.name === undefined ? {} : { name: rule.name }),
    matches: normaliseMatches(rule.matches, kind),
    filters: rule.filters,
    backends: rule.backends.map(backendIR),
    mirrors: rule.mirrors.map(backendIR),
    ...(rule.timing.timeouts === undefined ? {} : { timeouts: rule.timing.timeouts }),
    ...(rule.timing.retry === undefined ? {} : { retry: rule.timing.retry }),
    ...(rule.sessionPersistence === undefined ? {} : { sessionPersistence: rule.sessionPersistence }),
    ...(rule.priorityFallback === undefined ? {} : { priorityFallback: rule.priorityFallback }),
    ...(rule.quotaLimits === undefined ? {} : { policies: { traffic: quotaTraffic(rule.quotaLimits) } }),
  };
}

/** QuotaPolicy limits as the global rate limits of a rule (a BackendTrafficPolicy's are added to them, policies/apply.ts). */
function quotaTraffic(limits: readonly RateLimitRuleIR[]): BackendTrafficIR {
  return { policy: limits[0]!.owner, rateLimit: { global: limits, local: [] } };
}

function backendIR(backend: EvaluatedBackend): BackendIR {
  return backend.result.ok
    ? {
        weight: backend.weight,
        ...(backend.filters.length > 0 ? { filters: backend.filters } : {}),
        ...backend.result.backend,
      }
    : {
        weight: backend.weight,
        kind: 'Invalid',
        reason: backend.result.reason,
        message: backend.result.message,
      };
}

/** Fills in the spec defaults so backends need not know them. */
function normaliseMatches(matches: readonly unknown[], kind: RouteKind): unknown[] {
  if (kind === 'HTTPRoute') {
    const list = matches.length === 0 ? [{}] : matches;
    return list.map((raw) => {
      const match = (raw ?? {}) as Record<string, unknown>;
      const path = (match.path ?? {}) as { type?: string; value?: string };
      return {
        ...match,
        path: { type: path.type ?? 'PathPrefix', value: path.value ?? '/' },
        ...(Array.isArray(match.headers) ? { headers: match.headers.map(withExactDefault) } : {}),
        ...(Array.isArray(match.queryParams) ? { queryParams: match.queryParams.map(withExactDefault) } : {}),
      };
    });
  }
  if (kind === 'GRPCRoute') {
    return matches.map((raw) => {
      const match = (raw ?? {}) as Record<string, unknown>;
      const method = match.method as Record<string, unknown> | undefined;
      return {
        ...match,
        ...(method === undefined || method === null
          ? {}
          : { method: { ...method, type: method.type ?? 'Exact' } }),
        ...(Array.isArray(match.headers) ? { headers: match.headers.map(withExactDefault) } : {}),
      };
    });
  }
  return [...matches];
}

function withExactDefault(raw: unknown): unknown {
  const match = (raw ?? {}) as Record<string, unknown>;
  return { ...match, type: match.type ?? 'Exact' };
}

/** Oldest first; objects without a creationTimestamp (files mode) count as newest. */
function compareCreation(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
