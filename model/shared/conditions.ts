// Every condition type and reason Gateway API v1.6.1 defines, and the rule for writing conditions:
// lastTransitionTime changes only when the status changes; observedGeneration is always the object's generation.

import type { Condition, ConditionStatus } from '../resources/kubernetes.ts';

export const ConditionType = {
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  ResolvedRefs: 'ResolvedRefs',
  SupportedVersion: 'SupportedVersion',
  Conflicted: 'Conflicted',
  OverlappingTLSConfig: 'OverlappingTLSConfig',
  PartiallyInvalid: 'PartiallyInvalid',
  InsecureFrontendValidationMode: 'InsecureFrontendValidationMode',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const GatewayClassReason = {
  Accepted: 'Accepted',
  InvalidParameters: 'InvalidParameters',
  Unsupported: 'Unsupported',
  UnsupportedVersion: 'UnsupportedVersion',
  Pending: 'Pending',
  SupportedVersion: 'SupportedVersion',
} as const;

export const GatewayReason = {
  Accepted: 'Accepted',
  ListenersNotValid: 'ListenersNotValid',
  Invalid: 'Invalid',
  InvalidParameters: 'InvalidParameters',
  UnsupportedAddress: 'UnsupportedAddress',
  Pending: 'Pending',
  Programmed: 'Programmed',
  NoResources: 'NoResources',
  AddressNotAssigned: 'AddressNotAssigned',
  AddressNotUsable: 'AddressNotUsable',
  ResolvedRefs: 'ResolvedRefs',
  RefNotPermitted: 'RefNotPermitted',
  InvalidClientCertificateRef: 'InvalidClientCertificateRef',
  ListenersNotResolved: 'ListenersNotResolved',
  ConfigurationChanged: 'ConfigurationChanged',
} as const;

export const ListenerReason = {
  Accepted: 'Accepted',
  PortUnavailable: 'PortUnavailable',
  UnsupportedProtocol: 'UnsupportedProtocol',
  NoValidCACertificate: 'NoValidCACertificate',
  UnsupportedValue: 'UnsupportedValue',
  TooManyListeners: 'TooManyListeners',
  Pending: 'Pending',
  ResolvedRefs: 'ResolvedRefs',
  InvalidCertificateRef: 'InvalidCertificateRef',
  InvalidRouteKinds: 'InvalidRouteKinds',
  RefNotPermitted: 'RefNotPermitted',
  InvalidCACertificateRef: 'InvalidCACertificateRef',
  InvalidCACertificateKind: 'InvalidCACertificateKind',
  Programmed: 'Programmed',
  Invalid: 'Invalid',
  HostnameConflict: 'HostnameConflict',
  ProtocolConflict: 'ProtocolConflict',
  ListenerConflict: 'ListenerConflict',
  NoConflicts: 'NoConflicts',
  OverlappingHostnames: 'OverlappingHostnames',
  OverlappingCertificates: 'OverlappingCertificates',
} as const;

export const ListenerSetReason = {
  Accepted: 'Accepted',
  NotAllowed: 'NotAllowed',
  ParentNotAccepted: 'ParentNotAccepted',
  ListenersNotValid: 'ListenersNotValid',
  Invalid: 'Invalid',
  Pending: 'Pending',
  Programmed: 'Programmed',
  ParentNotProgrammed: 'ParentNotProgrammed',
  PortUnavailable: 'PortUnavailable',
} as const;

export const RouteReason = {
  Accepted: 'Accepted',
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  NoMatchingParent: 'NoMatchingParent',
  UnsupportedValue: 'UnsupportedValue',
  IncompatibleFilters: 'IncompatibleFilters',
  Pending: 'Pending',
  ResolvedRefs: 'ResolvedRefs',
  RefNotPermitted: 'RefNotPermitted',
  InvalidKind: 'InvalidKind',
  BackendNotFound: 'BackendNotFound',
  UnsupportedProtocol: 'UnsupportedProtocol',
} as const;
export type RouteReason = (typeof RouteReason)[keyof typeof RouteReason];

export const PolicyReason = {
  Accepted: 'Accepted',
  Conflicted: 'Conflicted',
  Invalid: 'Invalid',
  TargetNotFound: 'TargetNotFound',
  Pending: 'Pending',
  NoValidCACertificate: 'NoValidCACertificate',
  ResolvedRefs: 'ResolvedRefs',
  InvalidCACertificateRef: 'InvalidCACertificateRef',
  InvalidKind: 'InvalidKind',
  /** Envoy Gateway's: a more specific policy of the same kind applies to some of this policy's targets. */
  Overridden: 'Overridden',
  /** Envoy Gateway's: a route-level policy with mergeType is merged into its parent's (on both of them). */
  Merged: 'Merged',
} as const;

/** A condition as a rule decides it, before it is stamped with time and generation. */
export interface ConditionSpec {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export type ConditionFamily =
  | 'GatewayClass'
  | 'Gateway'
  | 'Listener'
  | 'ListenerSet'
  | 'RouteParent'
  | 'BackendTLSPolicy'
  /** Envoy Gateway's policy kinds (GEP-713 policy ancestors, model/policies/). */
  | 'PolicyAncestor'
  | 'Backend'
  | 'EnvoyProxy';

const C = ConditionType;
/** For each family, the condition types the spec defines and the reasons each may carry. */
export const SPEC_CONDITIONS: {
  readonly [F in ConditionFamily]: { readonly [type: string]: readonly string[] };
} = {
  GatewayClass: {
    [C.Accepted]: Object.values(GatewayClassReason).filter((r) => r !== 'SupportedVersion'),
    [C.SupportedVersion]: ['SupportedVersion', 'UnsupportedVersion'],
  },
  Gateway: {
    [C.Accepted]: [
      'Accepted',
      'ListenersNotValid',
      'Invalid',
      'InvalidParameters',
      'UnsupportedAddress',
      'Pending',
    ],
    [C.Programmed]: [
      'Programmed',
      'Invalid',
      'Pending',
      'NoResources',
      'AddressNotAssigned',
      'AddressNotUsable',
    ],
    [C.ResolvedRefs]: [
      'ResolvedRefs',
      'RefNotPermitted',
      'InvalidClientCertificateRef',
      'ListenersNotResolved',
    ],
    [C.InsecureFrontendValidationMode]: ['ConfigurationChanged'],
  },
  Listener: {
    [C.Accepted]: [
      'Accepted',
      'PortUnavailable',
      'UnsupportedProtocol',
      'NoValidCACertificate',
      'UnsupportedValue',
      'TooManyListeners',
      'Pending',
      // A listener that loses a conflict (the conformance suite's ListenerSet and TLSRoute tests).
      'HostnameConflict',
      'ProtocolConflict',
    ],
    [C.ResolvedRefs]: [
      'ResolvedRefs',
      'InvalidCertificateRef',
      'InvalidRouteKinds',
      'RefNotPermitted',
      'InvalidCACertificateRef',
      'InvalidCACertificateKind',
    ],
    [C.Programmed]: [
      'Programmed',
      'Invalid',
      'Pending',
      'PortUnavailable',
      'HostnameConflict',
      'ProtocolConflict',
    ],
    [C.Conflicted]: ['HostnameConflict', 'ProtocolConflict', 'ListenerConflict', 'NoConflicts'],
    [C.OverlappingTLSConfig]: ['OverlappingHostnames', 'OverlappingCertificates'],
  },
  ListenerSet: {
    [C.Accepted]: ['Accepted', 'NotAllowed', 'ParentNotAccepted', 'ListenersNotValid', 'Invalid', 'Pending'],
    [C.Programmed]: [
      'Programmed',
      'Invalid',
      'ParentNotProgrammed',
      'ListenersNotValid',
      'PortUnavailable',
      'Pending',
      // The Accepted reason of a ListenerSet that is not accepted (the conformance suite expects it here too).
      'NotAllowed',
      'ParentNotAccepted',
    ],
  },
  RouteParent: {
    [C.Accepted]: [
      'Accepted',
      'NotAllowedByListeners',
      'NoMatchingListenerHostname',
      'NoMatchingParent',
      'UnsupportedValue',
      'IncompatibleFilters',
      'Pending',
    ],
    [C.ResolvedRefs]: [
      'ResolvedRefs',
      'RefNotPermitted',
      'InvalidKind',
      'BackendNotFound',
      'UnsupportedProtocol',
      // Envoy Gateway's reasons for a backendRef to a Backend it cannot use (model/policies/backend.ts).
      'InvalidBackendRef',
      'InvalidAddress',
      'UnsupportedAddressType',
      'InvalidBackendTLS',
      // … and for an ExtensionRef filter that does not resolve (model/policies/http-route-filter.ts).
      'UnsupportedValue',
    ],
    [C.PartiallyInvalid]: ['UnsupportedValue'],
  },
  BackendTLSPolicy: {
    [C.Accepted]: ['Accepted', 'Conflicted', 'Invalid', 'TargetNotFound', 'Pending', 'NoValidCACertificate'],
    [C.ResolvedRefs]: ['ResolvedRefs', 'InvalidCACertificateRef', 'InvalidKind'],
  },
  PolicyAncestor: {
    [C.Accepted]: ['Accepted', 'Conflicted', 'Invalid', 'TargetNotFound', 'Pending'],
    Overridden: ['Overridden'],
  },
  // Envoy Gateway's kinds (gateway.envoyproxy.io): the conditions Envoy Gateway writes on them.
  Backend: { [C.Accepted]: ['Accepted', 'Invalid'] },
  EnvoyProxy: { [C.Accepted]: ['Accepted', 'InvalidParameters'] },
};

export function isSpecCondition(
  family: ConditionFamily,
  condition: Pick<Condition, 'type' | 'reason'>,
): boolean {
  const reasons = SPEC_CONDITIONS[family][condition.type];
  return reasons?.includes(condition.reason) === true;
}

export function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
): ConditionSpec {
  return { type, status, reason, message };
}

export interface Stamp {
  /** metadata.generation of the object the conditions describe. */
  readonly generation: number | undefined;
  /** RFC 3339 time to use for conditions whose status changes. */
  readonly now: string;
}

/**
 * Writes `desired` over `previous`: a condition keeps its lastTransitionTime while its status is unchanged;
 * conditions of the family we do not own (another controller's, or extension types) are kept as they were;
 * our spec types absent from `desired` are removed (e.g. OverlappingTLSConfig once resolved).
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly ConditionSpec[],
  family: ConditionFamily,
  stamp: Stamp,
): Condition[] {
  const before = new Map<string, Condition>();
  for (const old of Array.isArray(previous) ? previous : []) {
    if (old !== null && typeof old === 'object' && typeof old.type === 'string') before.set(old.type, old);
  }
  const owned = SPEC_CONDITIONS[family];
  const out: Condition[] = desired.map((next) => {
    const old = before.get(next.type);
    const lastTransitionTime =
      old !== undefined && old.status === next.status && typeof old.lastTransitionTime === 'string'
        ? old.lastTransitionTime
        : stamp.now;
    // Written out in one literal: every field in the object itself (a spread and a field added after it put
    // the last ones in a separate property array, ~40 bytes more for each of the ~35,000 conditions kept at 10k routes).
    const { type, status, reason, message } = next;
    return typeof stamp.generation === 'number'
      ? { type, status, reason, message, lastTransitionTime, observedGeneration: stamp.generation }
      : { type, status, reason, message, lastTransitionTime };
  });
  const written = new Set(desired.map((c) => c.type));
  for (const [type, old] of before) {
    if (!written.has(type) && owned[type] === undefined) out.push(old);
  }
  return out;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return Array.isArray(conditions) ? conditions.find((c) => c?.type === type) : undefined;
}

/**
 * The conditions that say an object (or a part of it: a listener, a parent, an ancestor) does not work as written,
 * one line each: Accepted or ResolvedRefs False, Conflicted or PartiallyInvalid True, NotAccepted; with `programmed`,
 * Programmed False too (the data plane refused it: a running controller; offline it is never False).
 */
export function failingConditions(status: unknown, options: { programmed?: boolean } = {}): string[] {
  const failing: string[] = [];
  const visit = (conditions: unknown, where: string) => {
    if (!Array.isArray(conditions)) return;
    for (const condition of conditions as {
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
    }[]) {
      const fails =
        ((condition.type === 'Accepted' || condition.type === 'ResolvedRefs') &&
          condition.status === 'False') ||
        ((condition.type === 'Conflicted' || condition.type === 'PartiallyInvalid') &&
          condition.status === 'True') ||
        condition.type === 'NotAccepted' ||
        (options.programmed === true && condition.type === 'Programmed' && condition.status === 'False');
      if (fails) {
        failing.push(
          `${where}${condition.type} ${condition.status} ${condition.reason ?? ''}${condition.message === undefined ? '' : `: ${condition.message}`}`,
        );
      }
    }
  };
  const of = status as {
    conditions?: unknown;
    listeners?: { name?: string; conditions?: unknown }[];
    parents?: { parentRef?: { name?: string; sectionName?: string }; conditions?: unknown }[];
    ancestors?: { ancestorRef?: { name?: string; sectionName?: string }; conditions?: unknown }[];
  } | null;
  if (of === null || typeof of !== 'object') return failing;
  visit(of.conditions, '');
  for (const listener of Array.isArray(of.listeners) ? of.listeners : []) {
    visit(listener?.conditions, `listener ${String(listener?.name)}: `);
  }
  for (const [field, entries] of [
    ['parent', of.parents],
    ['ancestor', of.ancestors],
  ] as const) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      const ref = (entry as { parentRef?: unknown; ancestorRef?: unknown })[`${field}Ref`] as
        | { name?: string; sectionName?: string }
        | undefined;
      const section = ref?.sectionName === undefined ? '' : `/${ref.sectionName}`;
      visit(entry?.conditions, `${field} ${String(ref?.name)}${section}: `);
    }
  }
  return failing;
}
