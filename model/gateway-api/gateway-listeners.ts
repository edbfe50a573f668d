// The merged listener set of a Gateway: its own listeners, then the ListenerSets it allows (oldest first),
// validated and checked for conflicts together, as GEP-1713 orders them.

import type { Gateway, ListenerSet } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP, keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { type ConditionSpec, ConditionType, condition, ListenerSetReason } from '../shared/conditions.ts';
import { compileLabelSelector } from '../shared/label-selectors.ts';
import { namespaceLabels } from '../shared/namespaces.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { withFrontendValidation } from './frontend-validation.ts';
import { applyListenerConflicts, type ValidatedListener, validateListener } from './listeners.ts';

export interface ListenerSetVerdict {
  readonly listenerSet: ListenerSet;
  readonly key: ResourceKey;
  readonly accepted: ConditionSpec;
  readonly listeners: readonly ValidatedListener[];
}

export interface GatewayListeners {
  readonly gateway: ResourceKey;
  /** The Gateway's own listeners, in spec order. */
  readonly listeners: readonly ValidatedListener[];
  /** ListenerSets whose parentRef names this Gateway, in precedence order. */
  readonly listenerSets: readonly ListenerSetVerdict[];
}

export function gatewayKeyOf(gateway: Gateway): ResourceKey {
  return resourceKey(
    GATEWAY_GROUP,
    'Gateway',
    gateway.metadata?.namespace,
    String(gateway.metadata?.name ?? ''),
  );
}

export function evaluateGatewayListeners(gateway: Gateway, view: ResourceView): GatewayListeners {
  const key = gatewayKeyOf(gateway);
  const specListeners = Array.isArray(gateway.spec?.listeners) ? gateway.spec.listeners : [];
  const own = specListeners.map((listener, i) =>
    withFrontendValidation(validateListener(listener, key, view, `spec.listeners[${i}]`), gateway, view),
  );

  const candidates = listenerSetsOf(gateway, view);
  const allowed = candidates.map((listenerSet) => ({
    listenerSet,
    key: keyOf(listenerSet),
    refusal: listenerSetRefusal(gateway, listenerSet, view),
    listeners: (Array.isArray(listenerSet.spec?.listeners) ? listenerSet.spec.listeners : []).map(
      (listener, i) =>
        withFrontendValidation(
          validateListener(listener, keyOf(listenerSet), view, `spec.listeners[${i}]`),
          gateway,
          view,
        ),
    ),
  }));
  const tiers = new Map<ValidatedListener, number>();
  const merged: ValidatedListener[] = [...own];
  allowed.forEach((entry, i) => {
    if (entry.refusal !== undefined) return;
    for (const listener of entry.listeners) {
      tiers.set(listener, i + 1);
      merged.push(listener);
    }
  });
  const checked = applyListenerConflicts(merged, (listener) => tiers.get(listener) ?? 0);
  const after = new Map<ValidatedListener, ValidatedListener>(
    merged.map((listener, i) => [listener, checked[i] as ValidatedListener]),
  );
  const gatewayAccepted = own.some((l) => l.accepted.status === 'True');

  return {
    gateway: key,
    listeners: own.map((listener) => after.get(listener) ?? listener),
    listenerSets: allowed.map((entry) => {
      const listeners = entry.listeners.map((listener) => after.get(listener) ?? listener);
      return {
        listenerSet: entry.listenerSet,
        key: entry.key,
        accepted: listenerSetAccepted(entry.refusal, gatewayAccepted, listeners),
        listeners,
      };
    }),
  };
}

/** ListenerSets whose parentRef names the Gateway, oldest first, then by namespace/name. */
function listenerSetsOf(gateway: Gateway, view: ResourceView): ListenerSet[] {
  return view
    .list('ListenerSet')
    .filter((listenerSet) => {
      const ref = listenerSet.spec?.parentRef;
      const namespace = ref?.namespace ?? listenerSet.metadata?.namespace;
      return (
        (ref?.group ?? GATEWAY_GROUP) === GATEWAY_GROUP &&
        (ref?.kind ?? 'Gateway') === 'Gateway' &&
        ref?.name === gateway.metadata?.name &&
        namespace === gateway.metadata?.namespace
      );
    })
    .sort((a, b) => {
      const [ta, tb] = [a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''];
      if (ta !== tb) return ta < tb ? -1 : 1;
      const [na, nb] = [
        `${a.metadata.namespace}/${a.metadata.name}`,
        `${b.metadata.namespace}/${b.metadata.name}`,
      ];
      return na < nb ? -1 : na > nb ? 1 : 0;
    });
}

function listenerSetRefusal(
  gateway: Gateway,
  listenerSet: ListenerSet,
  view: ResourceView,
): string | undefined {
  const namespaces = gateway.spec?.allowedListeners?.namespaces;
  const from = namespaces?.from ?? 'None';
  const namespace = listenerSet.metadata?.namespace ?? '';
  switch (from) {
    case 'All':
      return undefined;
    case 'Same':
      return namespace === gateway.metadata?.namespace
        ? undefined
        : `Gateway ${gateway.metadata?.name} allows ListenerSets only from its own namespace`;
    case 'Selector': {
      if (namespaces?.selector === undefined || namespaces.selector === null)
        return `Gateway spec.allowedListeners.namespaces.from is Selector with no selector: it selects no namespace`;
      const compiled = compileLabelSelector(namespaces.selector);
      if (!compiled.ok) return `Gateway spec.allowedListeners.namespaces.${compiled.message}`;
      return compiled.matches(namespaceLabels(view, namespace))
        ? undefined
        : `namespace ${namespace} does not match the Gateway's allowedListeners selector`;
    }
    default:
      return `Gateway ${gateway.metadata?.name} does not allow ListenerSets (spec.allowedListeners)`;
  }
}

function listenerSetAccepted(
  refusal: string | undefined,
  gatewayAccepted: boolean,
  listeners: readonly ValidatedListener[],
): ConditionSpec {
  if (refusal !== undefined)
    return condition(ConditionType.Accepted, 'False', ListenerSetReason.NotAllowed, refusal);
  if (!gatewayAccepted) {
    return condition(
      ConditionType.Accepted,
      'False',
      ListenerSetReason.ParentNotAccepted,
      'The parent Gateway is not accepted',
    );
  }
  // Valid: a listener the data plane gets (accepted, not conflicted, with the certificates it needs).
  const valid = listeners.filter(
    (l) => l.ready && l.accepted.status === 'True' && l.conflicted.status !== 'True',
  );
  if (valid.length === 0) {
    return condition(
      ConditionType.Accepted,
      'False',
      ListenerSetReason.ListenersNotValid,
      'No listener is valid',
    );
  }
  if (valid.length < listeners.length) {
    const invalid = listeners.filter((l) => !valid.includes(l)).map((l) => l.name);
    return condition(
      ConditionType.Accepted,
      'True',
      ListenerSetReason.ListenersNotValid,
      `Invalid listeners: ${invalid.join(', ')}`,
    );
  }
  return condition(
    ConditionType.Accepted,
    'True',
    ListenerSetReason.Accepted,
    'Accepted by the parent Gateway',
  );
}
