// Attaching a route to its parents: which parentRefs name a Gateway or ListenerSet we own, and on which
// listeners the route lands (sectionName, port, allowed kinds, allowed namespaces, hostname intersection).

import type { Gateway, ParentReference, Route } from '../resources/gateway-api.ts';
import {
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { RouteReason } from '../shared/conditions.ts';
import { intersectHostnames } from '../shared/hostnames.ts';
import { compileLabelSelector } from '../shared/label-selectors.ts';
import { namespaceLabels } from '../shared/namespaces.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { isOurGatewayClass } from './gateway-class.ts';
import { evaluateGatewayListeners, type GatewayListeners } from './gateway-listeners.ts';
import type { ValidatedListener } from './listeners.ts';
import { ROUTE_KIND_RULES } from './route-kinds.ts';

export interface ResolvedParent {
  /** The Gateway or ListenerSet the parentRef names. */
  readonly parent: ResourceKey;
  readonly gateway: Gateway;
  readonly gatewayKey: ResourceKey;
  /** Listeners a route may attach to through this parent. */
  readonly listeners: readonly ValidatedListener[];
  /** Set when the parent exists and is ours but cannot take routes (e.g. a ListenerSet its Gateway refuses). */
  readonly unusable?: string;
}

/** Looks up a parent's listeners; actors pass a cached one, `createParentLookup` gives a memoising default. */
export type ParentLookup = (ref: ParentReference, routeNamespace: string) => ResolvedParent | undefined;

export function createParentLookup(view: ResourceView, controllerName: string): ParentLookup {
  const gateways = new Map<string, GatewayListeners | null>();
  const listenersOf = (gateway: Gateway): GatewayListeners | undefined => {
    const id = `${gateway.metadata?.namespace}/${gateway.metadata?.name}`;
    let cached = gateways.get(id);
    if (cached === undefined) {
      const gatewayClass = view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
      cached = isOurGatewayClass(gatewayClass, controllerName)
        ? evaluateGatewayListeners(gateway, view)
        : null;
      gateways.set(id, cached);
    }
    return cached ?? undefined;
  };
  return (ref, routeNamespace) => {
    const group = ref?.group ?? GATEWAY_GROUP;
    const kind = ref?.kind ?? 'Gateway';
    const namespace =
      typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : routeNamespace;
    const name = String(ref?.name ?? '');
    if (group !== GATEWAY_GROUP) return undefined;
    if (kind === 'Gateway') {
      const gateway = view.get('Gateway', namespace, name);
      const evaluated = gateway === undefined ? undefined : listenersOf(gateway);
      if (gateway === undefined || evaluated === undefined) return undefined;
      return {
        parent: evaluated.gateway,
        gateway,
        gatewayKey: evaluated.gateway,
        listeners: evaluated.listeners,
      };
    }
    if (kind === 'ListenerSet') {
      const listenerSet = view.get('ListenerSet', namespace, name);
      if (listenerSet === undefined) return undefined;
      const parentRef = listenerSet.spec?.parentRef;
      const gateway = view.get('Gateway', parentRef?.namespace ?? namespace, String(parentRef?.name ?? ''));
      const evaluated = gateway === undefined ? undefined : listenersOf(gateway);
      if (gateway === undefined || evaluated === undefined) return undefined;
      const key = resourceKey(GATEWAY_GROUP, 'ListenerSet', namespace, name);
      const verdict = evaluated.listenerSets.find(
        (entry) => formatResourceKey(entry.key) === formatResourceKey(key),
      );
      if (verdict === undefined || verdict.accepted.status !== 'True') {
        return {
          parent: key,
          gateway,
          gatewayKey: evaluated.gateway,
          listeners: [],
          unusable: `ListenerSet ${namespace}/${name} is not accepted by its Gateway: ${verdict?.accepted.message ?? 'not attached'}`,
        };
      }
      return { parent: key, gateway, gatewayKey: evaluated.gateway, listeners: verdict.listeners };
    }
    return undefined;
  };
}

export interface ListenerAttachment {
  /** Gateway or ListenerSet that declares the listener. */
  readonly owner: ResourceKey;
  readonly listener: string;
  /** Hostnames the route serves on this listener; empty means any. */
  readonly hostnames: readonly string[];
}

export type AttachmentResult =
  | { readonly accepted: true; readonly listeners: readonly ListenerAttachment[] }
  | {
      readonly accepted: false;
      readonly reason:
        | typeof RouteReason.NoMatchingParent
        | typeof RouteReason.NotAllowedByListeners
        | typeof RouteReason.NoMatchingListenerHostname;
      readonly message: string;
    };

/** Decides on which of the parent's listeners the route attaches, or why it attaches to none. */
export function attachRouteToListeners(
  route: Route,
  parentRef: ParentReference,
  parent: ResolvedParent,
  view: ResourceView,
): AttachmentResult {
  if (parent.unusable !== undefined) {
    return { accepted: false, reason: RouteReason.NoMatchingParent, message: parent.unusable };
  }
  const routeKey = keyOf(route);
  let candidates = parent.listeners;
  const sectionName = parentRef?.sectionName;
  if (typeof sectionName === 'string' && sectionName !== '') {
    candidates = candidates.filter((l) => l.name === sectionName);
    if (candidates.length === 0) {
      return {
        accepted: false,
        reason: RouteReason.NoMatchingParent,
        message: `no listener named ${sectionName}`,
      };
    }
  }
  const port = parentRef?.port;
  if (port !== undefined && port !== null) {
    candidates = candidates.filter((l) => l.port === port);
    if (candidates.length === 0) {
      const where =
        typeof sectionName === 'string' && sectionName !== '' ? `listener ${sectionName}` : 'no listener';
      return {
        accepted: false,
        reason: RouteReason.NoMatchingParent,
        message: `${where} does not use port ${port}`,
      };
    }
  }
  const kind = routeKey.kind;
  const byKind = candidates.filter((l) =>
    l.supportedKinds.some((k) => k.kind === kind && (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP),
  );
  if (byKind.length === 0) {
    return {
      accepted: false,
      reason: RouteReason.NotAllowedByListeners,
      message: `no listener of the parent allows ${kind} (see the listeners' protocol and allowedRoutes.kinds)`,
    };
  }
  const routeNamespace = routeKey.namespace ?? '';
  const byNamespace = byKind.filter((l) => allowsNamespace(l, routeNamespace, view));
  if (byNamespace.length === 0) {
    return {
      accepted: false,
      reason: RouteReason.NotAllowedByListeners,
      message: `no listener of the parent allows routes from namespace ${routeNamespace} (allowedRoutes.namespaces)`,
    };
  }
  const routeHostnames = ROUTE_KIND_RULES[kind as Route['kind']]?.hasHostnames
    ? (route.spec as { hostnames?: string[] })?.hostnames
    : undefined;
  const attached: ListenerAttachment[] = [];
  for (const listener of byNamespace) {
    const hostnames = intersectHostnames(listener.hostname, routeHostnames);
    if (hostnames !== null) attached.push({ owner: listener.owner, listener: listener.name, hostnames });
  }
  if (attached.length === 0) {
    return {
      accepted: false,
      reason: RouteReason.NoMatchingListenerHostname,
      message: `spec.hostnames do not intersect the hostname of any allowed listener`,
    };
  }
  // At its exact size: a pushed array keeps room for 17, and route evaluations are cached for every route.
  return { accepted: true, listeners: attached.slice() };
}

function allowsNamespace(listener: ValidatedListener, routeNamespace: string, view: ResourceView): boolean {
  const namespaces = listener.allowedRoutes?.namespaces;
  switch (namespaces?.from ?? 'Same') {
    case 'All':
      return true;
    case 'Selector': {
      // No selector selects no namespace (an empty one, `{}`, selects every namespace).
      if (namespaces?.selector === undefined || namespaces.selector === null) return false;
      const compiled = compileLabelSelector(namespaces.selector);
      return compiled.ok && compiled.matches(namespaceLabels(view, routeNamespace));
    }
    case 'Same':
      return (listener.owner.namespace ?? '') === routeNamespace;
    default:
      return false;
  }
}
