// The statuses a recomputation pass computes at once when it begins, because they read little: a GatewayClass's
// (and, in Kubernetes mode, whether it keeps its finalizer), a Backend's (its spec alone), an EnvoyProxy's (its
// ancestors are the few GatewayClasses and Gateways that name it).
import { computeGatewayClassStatus, isOurGatewayClass } from '../../model/gateway-api/gateway-class.ts';
import { computeBackendStatus } from '../../model/policies/backend.ts';
import { computeEnvoyProxyStatus } from '../../model/policies/envoy-proxy.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import { patcherName, WITHDRAWN_STATUS } from '../patchers/messages.ts';

export const IMMEDIATE_STATUS_KINDS: ReadonlySet<string> = new Set(['GatewayClass', 'Backend', 'EnvoyProxy']);

export interface ImmediateStatusInputs {
  readonly view: ResourceView;
  readonly controllerName: string;
  readonly hostDataPlane: boolean;
  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  readonly gatewayClassFinalizer: string | undefined;
  /** The GatewayClasses we wrote a status to: one that stops being ours gets it taken back. */
  readonly classesWithStatus: Set<string>;
}

/** The messages for one object of those kinds (none when it is gone). */
export function immediateStatuses(
  inputs: ImmediateStatusInputs,
  key: ResourceKey,
  now: string,
  out: DeliverRequest[],
): void {
  if (key.kind === 'GatewayClass') {
    const gatewayClass = inputs.view.get('GatewayClass', undefined, key.name);
    const status =
      gatewayClass &&
      computeGatewayClassStatus(gatewayClass, inputs.view, { controllerName: inputs.controllerName, now });
    const id = formatResourceKey(key);
    if (status !== undefined) {
      inputs.classesWithStatus.add(id);
      out.push(deliverTo(patcherName('GatewayClass'), { type: 'status.desired', key, status }));
    } else if (inputs.classesWithStatus.delete(id) && gatewayClass !== undefined) {
      // Moved to another controller (files can say so; an API server keeps controllerName immutable).
      out.push(
        deliverTo(patcherName('GatewayClass'), { type: 'status.desired', key, status: WITHDRAWN_STATUS }),
      );
    }
    if (gatewayClass !== undefined && inputs.gatewayClassFinalizer !== undefined) {
      const inUse =
        isOurGatewayClass(gatewayClass, inputs.controllerName) &&
        inputs.view.list('Gateway').some((gateway) => gateway.spec?.gatewayClassName === key.name);
      out.push(
        deliverTo(patcherName('GatewayClass'), {
          type: 'finalizer.desired',
          key,
          finalizer: inputs.gatewayClassFinalizer,
          present: inUse,
        }),
      );
    }
  } else if (key.kind === 'Backend') {
    // A Backend's status reads its spec alone: cheap, so computed here.
    const backend = inputs.view.get('Backend', key.namespace, key.name);
    if (backend !== undefined) {
      const status = computeBackendStatus(backend, { now, hostDataPlane: inputs.hostDataPlane });
      out.push(deliverTo(patcherName('Backend'), { type: 'status.desired', key, status }));
    }
  } else if (key.kind === 'EnvoyProxy') {
    // Its ancestors are the GatewayClasses and Gateways that name it (few): computed here too.
    const proxy = inputs.view.get('EnvoyProxy', key.namespace, key.name);
    if (proxy !== undefined) {
      const status = computeEnvoyProxyStatus(proxy, inputs.view, {
        controllerName: inputs.controllerName,
        now,
      });
      out.push(deliverTo(patcherName('EnvoyProxy'), { type: 'status.desired', key, status }));
    }
  }
}
