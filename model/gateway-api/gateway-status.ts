// Gateway and ListenerSet status: Accepted / Programmed / ResolvedRefs, and per listener Accepted, Programmed,
// ResolvedRefs, Conflicted, OverlappingTLSConfig, supportedKinds and attachedRoutes.

import { type GatewayEnvoyProxy, gatewayEnvoyProxy } from '../policies/envoy-proxy.ts';
import type {
  Gateway,
  GatewayStatus,
  ListenerSet,
  ListenerSetStatus,
  ListenerStatus,
} from '../resources/gateway-api.ts';
import type { ConditionStatus } from '../resources/kubernetes.ts';
import { formatResourceKey, keyOf } from '../resources/resource-key.ts';
import {
  type ConditionSpec,
  ConditionType,
  condition,
  GatewayReason,
  ListenerReason,
  ListenerSetReason,
  mergeConditions,
  type Stamp,
} from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { resolveBackendClientCertificate } from './backend-client-certificate.ts';
import { insecureFrontendValidationMode } from './frontend-validation.ts';
import { isOurGatewayClass, resolveGatewayClassParameters } from './gateway-class.ts';
import { evaluateGatewayListeners, type GatewayListeners } from './gateway-listeners.ts';
import type { ValidatedListener } from './listeners.ts';
import { listenerId } from './route-status.ts';

/** What the data plane reported for the Gateway; the model cannot know it, the deployer passes it in. */
export interface ProgrammedState {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export const PROGRAMMED_PENDING: ProgrammedState = {
  status: 'Unknown',
  reason: GatewayReason.Pending,
  message: 'Waiting for the data plane',
};

export interface GatewayStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  /** Accepted routes per listener, from `countAttachedRoutes` (keys from `listenerId`). */
  readonly attachedRoutes: ReadonlyMap<string, number>;
  readonly programmed?: ProgrammedState;
  /** Addresses the data plane is reachable on, when known. */
  readonly addresses?: GatewayStatus['addresses'];
  /** Already evaluated listeners (e.g. cached by the actor); evaluated from the view when absent. */
  readonly listeners?: GatewayListeners;
  /**
   * What the data plane refused of single listeners (keys from `listenerId`): a dropped listener is not Programmed,
   * one served with a warning is, its message saying what the data plane warned about.
   */
  readonly listenerRefusals?: ReadonlyMap<string, ListenerRefusal>;
}

export interface ListenerRefusal {
  readonly dropped: boolean;
  readonly message: string;
}

/** The Gateway's status, or undefined when its GatewayClass is not ours (never touch another controller's Gateway). */
export function computeGatewayStatus(
  gateway: Gateway,
  view: ResourceView,
  options: GatewayStatusOptions,
): GatewayStatus | undefined {
  const gatewayClass = view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
  if (gatewayClass === undefined || !isOurGatewayClass(gatewayClass, options.controllerName))
    return undefined;
  const evaluated = options.listeners ?? evaluateGatewayListeners(gateway, view);
  const stamp: Stamp = { generation: gateway.metadata?.generation, now: options.now };
  const programmedState = options.programmed ?? PROGRAMMED_PENDING;

  const accepted = gatewayAccepted(
    gateway,
    evaluated.listeners,
    resolveGatewayClassParameters(gatewayClass, view),
    (backend) => gatewayEnvoyProxy(gateway, gatewayClass, backend, view),
  );
  const programmed =
    accepted.status === 'True'
      ? condition(
          ConditionType.Programmed,
          programmedState.status,
          programmedState.reason,
          programmedState.message,
        )
      : condition(
          ConditionType.Programmed,
          'False',
          GatewayReason.Invalid,
          `Not accepted: ${accepted.message}`,
        );
  const unresolved = evaluated.listeners.filter((l) => l.resolvedRefs.status !== 'True').map((l) => l.name);
  const clientCertificate = resolveBackendClientCertificate(gateway, view);
  const resolvedRefs =
    clientCertificate?.ok === false
      ? condition(ConditionType.ResolvedRefs, 'False', clientCertificate.reason, clientCertificate.message)
      : unresolved.length === 0
        ? condition(ConditionType.ResolvedRefs, 'True', GatewayReason.ResolvedRefs, 'All references resolved')
        : condition(
            ConditionType.ResolvedRefs,
            'False',
            GatewayReason.ListenersNotResolved,
            `Listeners with unresolved references: ${unresolved.join(', ')}`,
          );
  const previousListeners = Array.isArray(gateway.status?.listeners) ? gateway.status.listeners : [];
  const status: GatewayStatus = {
    conditions: mergeConditions(
      gateway.status?.conditions,
      [accepted, programmed, resolvedRefs, ...optional(insecureFrontendValidationMode(gateway))],
      'Gateway',
      stamp,
    ),
    listeners: evaluated.listeners.map((listener) =>
      listenerStatus(listener, previousListeners, programmed, options, stamp),
    ),
  };
  if (options.addresses !== undefined) status.addresses = options.addresses;
  const attachedSets = evaluated.listenerSets.filter((s) => s.accepted.status === 'True').length;
  if (evaluated.listenerSets.length > 0 || gateway.spec?.allowedListeners !== undefined) {
    status.attachedListenerSets = attachedSets;
  }
  return status;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

function gatewayAccepted(
  gateway: Gateway,
  listeners: readonly ValidatedListener[],
  classParameters: ReturnType<typeof resolveGatewayClassParameters>,
  envoyProxy: (backend: string) => GatewayEnvoyProxy,
): ConditionSpec {
  if (!classParameters.ok) {
    return condition(
      ConditionType.Accepted,
      'False',
      GatewayReason.InvalidParameters,
      `GatewayClass ${gateway.spec?.gatewayClassName}: ${classParameters.message}`,
    );
  }
  // spec.infrastructure.parametersRef: an EnvoyProxy (policies/envoy-proxy.ts), or refused.
  const proxy = envoyProxy(classParameters.parameters.backend);
  if (!proxy.ok) {
    return condition(ConditionType.Accepted, 'False', GatewayReason.InvalidParameters, proxy.message);
  }
  if (Array.isArray(gateway.spec?.addresses) && gateway.spec.addresses.length > 0) {
    return condition(
      ConditionType.Accepted,
      'False',
      GatewayReason.UnsupportedAddress,
      'spec.addresses: requesting addresses is not supported; remove the field',
    );
  }
  const invalid = listeners.filter((l) => l.accepted.status !== 'True' || l.conflicted.status === 'True');
  if (listeners.length === 0 || invalid.length === listeners.length) {
    return condition(
      ConditionType.Accepted,
      'False',
      GatewayReason.ListenersNotValid,
      'No listener is valid',
    );
  }
  if (invalid.length > 0) {
    return condition(
      ConditionType.Accepted,
      'True',
      GatewayReason.ListenersNotValid,
      `Invalid listeners: ${invalid.map((l) => l.name).join(', ')}; the others are accepted`,
    );
  }
  return condition(ConditionType.Accepted, 'True', GatewayReason.Accepted, 'Gateway is accepted');
}

function listenerStatus(
  listener: ValidatedListener,
  previous: readonly ListenerStatus[],
  parentProgrammed: ConditionSpec,
  options: Pick<GatewayStatusOptions, 'attachedRoutes' | 'listenerRefusals'>,
  stamp: Stamp,
): ListenerStatus {
  const attachedRoutes = options.attachedRoutes;
  const refused = options.listenerRefusals?.get(listenerId(listener.owner, listener.name));
  // A listener that loses a conflict is not accepted, and says why in both (the conformance suite reads them).
  const conflict = listener.conflicted.status === 'True' ? listener.conflicted : undefined;
  const programmed = !listener.ready
    ? condition(
        ConditionType.Programmed,
        'False',
        conflict?.reason ?? ListenerReason.Invalid,
        listenerProblem(listener),
      )
    : parentProgrammed.status === 'True'
      ? refused === undefined
        ? condition(ConditionType.Programmed, 'True', ListenerReason.Programmed, 'Listener is programmed')
        : refused.dropped
          ? condition(ConditionType.Programmed, 'False', ListenerReason.Invalid, refused.message)
          : condition(ConditionType.Programmed, 'True', ListenerReason.Programmed, refused.message)
      : condition(
          ConditionType.Programmed,
          parentProgrammed.status === 'False' ? 'False' : 'Unknown',
          ListenerReason.Pending,
          parentProgrammed.message,
        );
  const accepted =
    conflict !== undefined && listener.accepted.status === 'True'
      ? condition(ConditionType.Accepted, 'False', conflict.reason, conflict.message)
      : listener.accepted;
  const desired = [accepted, programmed, listener.resolvedRefs, listener.conflicted];
  if (listener.overlappingTLSConfig !== undefined) desired.push(listener.overlappingTLSConfig);
  const old = previous.find((p) => p?.name === listener.name);
  return {
    name: listener.name,
    supportedKinds: listener.supportedKinds.map((k) => ({ ...k })),
    attachedRoutes: attachedRoutes.get(listenerId(listener.owner, listener.name)) ?? 0,
    conditions: mergeConditions(old?.conditions, desired, 'Listener', stamp),
  };
}

function listenerProblem(listener: ValidatedListener): string {
  if (listener.accepted.status !== 'True') return listener.accepted.message;
  if (listener.conflicted.status === 'True') return listener.conflicted.message;
  return listener.resolvedRefs.message;
}

/** A ListenerSet's status, from its parent Gateway's evaluation; undefined when the parent is not ours or absent. */
export function computeListenerSetStatus(
  listenerSet: ListenerSet,
  view: ResourceView,
  options: GatewayStatusOptions,
): ListenerSetStatus | undefined {
  const ref = listenerSet.spec?.parentRef;
  const gateway = view.get(
    'Gateway',
    ref?.namespace ?? listenerSet.metadata?.namespace,
    String(ref?.name ?? ''),
  );
  if (gateway === undefined) return undefined;
  const gatewayClass = view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
  if (!isOurGatewayClass(gatewayClass, options.controllerName)) return undefined;
  const evaluated = options.listeners ?? evaluateGatewayListeners(gateway, view);
  const key = formatResourceKey(keyOf(listenerSet));
  const verdict = evaluated.listenerSets.find((entry) => formatResourceKey(entry.key) === key);
  if (verdict === undefined) return undefined;
  const stamp: Stamp = { generation: listenerSet.metadata?.generation, now: options.now };
  const parent = options.programmed ?? PROGRAMMED_PENDING;
  // Not accepted: Programmed False for the same reason (NotAllowed, ParentNotAccepted, ListenersNotValid), as the
  // conformance suite expects.
  const programmed =
    verdict.accepted.status !== 'True'
      ? condition(ConditionType.Programmed, 'False', verdict.accepted.reason, verdict.accepted.message)
      : parent.status === 'True'
        ? condition(
            ConditionType.Programmed,
            'True',
            ListenerSetReason.Programmed,
            'ListenerSet is programmed',
          )
        : condition(ConditionType.Programmed, parent.status, ListenerSetReason.Pending, parent.message);
  const previousListeners = Array.isArray(listenerSet.status?.listeners) ? listenerSet.status.listeners : [];
  const allowed = verdict.accepted.reason !== ListenerSetReason.NotAllowed;
  return {
    conditions: mergeConditions(
      listenerSet.status?.conditions,
      [verdict.accepted, programmed],
      'ListenerSet',
      stamp,
    ),
    listeners: allowed
      ? verdict.listeners.map((listener) =>
          listenerStatus(listener, previousListeners, programmed, options, stamp),
        )
      : [],
  };
}
