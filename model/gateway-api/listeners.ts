// Listener validation: protocol support, supportedKinds, TLS settings and certificate refs, and the
// per-port rules between listeners (HostnameConflict / ProtocolConflict, OverlappingTLSConfig).

import type { ClientValidationIR } from '../ir/gateway-ir.ts';
import type { Listener, RouteGroupKind } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP, type ResourceKey } from '../resources/resource-key.ts';
import { type ConditionSpec, ConditionType, condition, ListenerReason } from '../shared/conditions.ts';
import { hostnamesOverlap } from '../shared/hostnames.ts';
import { compileLabelSelector } from '../shared/label-selectors.ts';
import { normalizeGroup, type ReferenceFrom } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { routeKindsForProtocol, SUPPORTED_PROTOCOLS } from './route-kinds.ts';
import { resolveCertificateRef, type TLSCertificate } from './tls-certificates.ts';

export interface ValidatedListener {
  /** The Gateway or ListenerSet that declares the listener. */
  readonly owner: ResourceKey;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly hostname?: string;
  readonly tlsMode?: 'Terminate' | 'Passthrough';
  readonly allowedRoutes: Listener['allowedRoutes'];
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly certificates: readonly TLSCertificate[];
  readonly accepted: ConditionSpec;
  readonly resolvedRefs: ConditionSpec;
  readonly conflicted: ConditionSpec;
  readonly overlappingTLSConfig?: ConditionSpec;
  /** Whether the data plane gets this listener: accepted, not conflicted, and able to terminate TLS if it must. */
  readonly ready: boolean;
  /** Client certificates the Gateway asks for on this HTTPS listener (frontend-validation.ts). */
  readonly clientValidation?: ClientValidationIR;
}

const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

const NO_CONFLICTS = condition(ConditionType.Conflicted, 'False', ListenerReason.NoConflicts, 'No conflicts');

/** Validates one listener on its own; conflicts with its siblings come from `applyListenerConflicts`. */
export function validateListener(
  listener: Listener,
  owner: ResourceKey,
  view: ResourceView,
  field: string,
): ValidatedListener {
  const name = typeof listener?.name === 'string' ? listener.name : '';
  const protocol = typeof listener?.protocol === 'string' ? listener.protocol : '';
  const port = typeof listener?.port === 'number' ? listener.port : Number.NaN;
  const hostname =
    typeof listener?.hostname === 'string' && listener.hostname !== '' ? listener.hostname : undefined;
  const tls = listener?.tls ?? undefined;
  const base = { owner, name, port, protocol, allowedRoutes: listener?.allowedRoutes, certificates: [] };
  const withHostname = hostname === undefined ? base : { ...base, hostname };

  if (!SUPPORTED_PROTOCOLS.includes(protocol)) {
    return rejected(
      withHostname,
      [],
      ListenerReason.UnsupportedProtocol,
      `${field}.protocol: ${protocol || '(empty)'} is not supported; use one of ${SUPPORTED_PROTOCOLS.join(', ')}`,
    );
  }
  const { supportedKinds, invalidKinds } = supportedKindsOf(listener, protocol);
  const problem = invalidValue(listener, protocol, port, hostname, field);
  if (problem !== undefined)
    return rejected(withHostname, supportedKinds, ListenerReason.UnsupportedValue, problem);

  const tlsMode = protocol === 'HTTPS' ? 'Terminate' : protocol === 'TLS' ? tls?.mode : undefined;
  const certificates: TLSCertificate[] = [];
  let refProblem: ConditionSpec | undefined;
  if (invalidKinds.length > 0) {
    refProblem = condition(
      ConditionType.ResolvedRefs,
      'False',
      ListenerReason.InvalidRouteKinds,
      `${field}.allowedRoutes.kinds: ${invalidKinds.join(', ')} cannot attach to a ${protocol} listener`,
    );
  }
  if (tlsMode === 'Terminate') {
    const refs = Array.isArray(tls?.certificateRefs) ? tls.certificateRefs : [];
    if (refs.length === 0 && refProblem === undefined) {
      refProblem = condition(
        ConditionType.ResolvedRefs,
        'False',
        ListenerReason.InvalidCertificateRef,
        `${field}.tls.certificateRefs: at least one certificate is needed to terminate TLS`,
      );
    }
    const from: ReferenceFrom = { group: owner.group, kind: owner.kind, namespace: owner.namespace ?? '' };
    refs.forEach((ref, i) => {
      const result = resolveCertificateRef(ref, from, view, `${field}.tls.certificateRefs[${i}]`);
      if (result.ok) certificates.push(result.certificate);
      else refProblem ??= condition(ConditionType.ResolvedRefs, 'False', result.reason, result.message);
    });
  }
  const resolvedRefs =
    refProblem ??
    condition(ConditionType.ResolvedRefs, 'True', ListenerReason.ResolvedRefs, 'All references resolved');
  return {
    ...withHostname,
    ...(tlsMode === undefined ? {} : { tlsMode }),
    supportedKinds,
    certificates,
    accepted: condition(ConditionType.Accepted, 'True', ListenerReason.Accepted, 'Listener is valid'),
    resolvedRefs,
    conflicted: NO_CONFLICTS,
    ready: tlsMode !== 'Terminate' || certificates.length > 0,
  };
}

function rejected(
  base: Omit<ValidatedListener, 'supportedKinds' | 'accepted' | 'resolvedRefs' | 'conflicted' | 'ready'>,
  supportedKinds: RouteGroupKind[],
  reason: string,
  message: string,
): ValidatedListener {
  return {
    ...base,
    supportedKinds,
    accepted: condition(ConditionType.Accepted, 'False', reason, message),
    resolvedRefs: condition(
      ConditionType.ResolvedRefs,
      'True',
      ListenerReason.ResolvedRefs,
      'No references to resolve',
    ),
    conflicted: NO_CONFLICTS,
    ready: false,
  };
}

function supportedKindsOf(
  listener: Listener,
  protocol: string,
): { supportedKinds: RouteGroupKind[]; invalidKinds: string[] } {
  const possible = routeKindsForProtocol(protocol);
  const requested = listener?.allowedRoutes?.kinds;
  if (!Array.isArray(requested) || requested.length === 0)
    return { supportedKinds: possible, invalidKinds: [] };
  const supportedKinds: RouteGroupKind[] = [];
  const invalidKinds: string[] = [];
  for (const requestedKind of requested) {
    const group = requestedKind?.group === undefined ? GATEWAY_GROUP : normalizeGroup(requestedKind.group);
    const kind = String(requestedKind?.kind);
    const match = possible.find((p) => p.group === group && p.kind === kind);
    if (match === undefined) invalidKinds.push(`${group || 'core'}/${kind}`);
    else if (!supportedKinds.some((k) => k.kind === match.kind)) supportedKinds.push(match);
  }
  return { supportedKinds, invalidKinds };
}

function invalidValue(
  listener: Listener,
  protocol: string,
  port: number,
  hostname: string | undefined,
  field: string,
): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return `${field}.port: must be an integer from 1 to 65535`;
  const tls = listener.tls;
  if (
    (protocol === 'HTTP' || protocol === 'TCP' || protocol === 'UDP') &&
    tls !== undefined &&
    tls !== null
  ) {
    return `${field}.tls: must not be set for protocol ${protocol}`;
  }
  if (protocol === 'HTTPS' && tls?.mode !== undefined && tls.mode !== 'Terminate') {
    return `${field}.tls.mode: must be Terminate for protocol HTTPS`;
  }
  if (protocol === 'TLS' && tls?.mode !== 'Terminate' && tls?.mode !== 'Passthrough') {
    return `${field}.tls.mode: must be Terminate or Passthrough for protocol TLS`;
  }
  if (hostname !== undefined) {
    if (protocol === 'TCP' || protocol === 'UDP')
      return `${field}.hostname: must not be set for protocol ${protocol}`;
    if (hostname.length > 253 || !HOSTNAME.test(hostname) || IPV4.test(hostname)) {
      return `${field}.hostname: ${hostname} is not a valid DNS name (a wildcard may only be the first label)`;
    }
  }
  const namespaces = listener.allowedRoutes?.namespaces;
  const from = namespaces?.from ?? 'Same';
  if (from !== 'All' && from !== 'Same' && from !== 'Selector') {
    return `${field}.allowedRoutes.namespaces.from: ${String(from)} is not All, Same or Selector`;
  }
  // Selector without a selector is valid and selects no namespace (see allowsNamespace in attachment.ts).
  if (from === 'Selector' && namespaces?.selector !== undefined && namespaces.selector !== null) {
    const compiled = compileLabelSelector(namespaces.selector);
    if (!compiled.ok) return `${field}.allowedRoutes.namespaces.${compiled.message}`;
  }
  return undefined;
}

type ProtocolFamily = 'http' | 'tls' | 'tcp' | 'udp';

function familyOf(protocol: string): ProtocolFamily {
  if (protocol === 'HTTPS' || protocol === 'TLS') return 'tls';
  if (protocol === 'TCP') return 'tcp';
  if (protocol === 'UDP') return 'udp';
  return 'http';
}

/**
 * Marks indistinct listeners on each port. `tier` orders precedence: listeners of one tier conflict with each other
 * (none wins, as the spec requires inside a Gateway); a later tier (a ListenerSet) loses to an earlier one.
 */
export function applyListenerConflicts(
  listeners: readonly ValidatedListener[],
  tierOf: (listener: ValidatedListener) => number = () => 0,
): ValidatedListener[] {
  const conflicts = new Map<ValidatedListener, ConditionSpec>();
  // Tier by tier (the Gateway's own listeners, then each ListenerSet in precedence order): a listener that
  // conflicts with a listener of an earlier tier loses to it and is out; the rest of a tier conflict with each
  // other mutually (neither wins), and all of them stand against later tiers.
  const standing: ValidatedListener[] = [];
  const accepted = listeners.filter((l) => l.accepted.status === 'True');
  for (const tier of [...new Set(accepted.map((l) => tierOf(l)))].sort((a, b) => a - b)) {
    const members: ValidatedListener[] = [];
    for (const b of accepted.filter((l) => tierOf(l) === tier)) {
      const winner = standing.find((a) => a.port === b.port && conflictBetween(a, b) !== undefined);
      const verdict = winner === undefined ? undefined : conflictBetween(winner, b);
      if (winner !== undefined && verdict !== undefined) conflicts.set(b, verdict(winner));
      else members.push(b);
    }
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = members[i] as ValidatedListener;
        const b = members[j] as ValidatedListener;
        const verdict = a.port === b.port ? conflictBetween(a, b) : undefined;
        if (verdict === undefined) continue;
        if (!conflicts.has(b)) conflicts.set(b, verdict(a));
        if (!conflicts.has(a)) conflicts.set(a, verdict(b));
      }
    }
    standing.push(...members);
  }
  const overlaps = overlappingTLS(listeners.filter((l) => l.accepted.status === 'True' && !conflicts.has(l)));
  return listeners.map((listener) => {
    const conflicted = conflicts.get(listener);
    const overlapping = overlaps.get(listener);
    if (conflicted === undefined && overlapping === undefined) return listener;
    return {
      ...listener,
      ...(conflicted === undefined ? {} : { conflicted, ready: false }),
      ...(overlapping === undefined ? {} : { overlappingTLSConfig: overlapping }),
    };
  });
}

function conflictBetween(
  a: ValidatedListener,
  b: ValidatedListener,
): ((other: ValidatedListener) => ConditionSpec) | undefined {
  const [fa, fb] = [familyOf(a.protocol), familyOf(b.protocol)];
  if ((fa === 'udp') !== (fb === 'udp')) return undefined; // UDP and TCP-based listeners share a port number freely
  if (fa !== fb || fa === 'tcp' || fa === 'udp') {
    return (other) =>
      condition(
        ConditionType.Conflicted,
        'True',
        ListenerReason.ProtocolConflict,
        `port ${a.port} is also used by listener ${other.name} (${other.protocol}) and the two cannot be told apart`,
      );
  }
  if ((a.hostname ?? '').toLowerCase() !== (b.hostname ?? '').toLowerCase()) return undefined;
  return (other) =>
    condition(
      ConditionType.Conflicted,
      'True',
      ListenerReason.HostnameConflict,
      `listener ${other.name} uses the same port ${a.port} and hostname ${a.hostname ?? '(any)'}`,
    );
}

function overlappingTLS(listeners: readonly ValidatedListener[]): Map<ValidatedListener, ConditionSpec> {
  const out = new Map<ValidatedListener, ConditionSpec>();
  const terminating = listeners.filter((l) => l.tlsMode === 'Terminate' && l.hostname !== undefined);
  for (const a of terminating) {
    for (const b of terminating) {
      if (a === b || a.port !== b.port || a.hostname === undefined || b.hostname === undefined) continue;
      if (a.hostname.toLowerCase() === b.hostname.toLowerCase() || !hostnamesOverlap(a.hostname, b.hostname))
        continue;
      if (!out.has(a)) {
        out.set(
          a,
          condition(
            ConditionType.OverlappingTLSConfig,
            'True',
            ListenerReason.OverlappingHostnames,
            `hostname ${a.hostname} overlaps ${b.hostname} of listener ${b.name} on port ${a.port}`,
          ),
        );
      }
    }
  }
  return out;
}
