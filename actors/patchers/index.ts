import { AI_GATEWAY_KINDS } from '../../model/resources/ai-gateway.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { type FinalizerWrite, patcherMachine, type StatusWrite } from './machine.ts';
import { type PatcherMessage, patcherName } from './messages.ts';

export type { FinalizerWrite, StatusWrite } from './machine.ts';
export { patcherName } from './messages.ts';
export { fileStatusWriter, StatusStore } from './status-store.ts';

/** Kinds whose status Switchyard writes. */
export const PATCHED_KINDS = [
  'GatewayClass',
  'Gateway',
  'ListenerSet',
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'TCPRoute',
  'UDPRoute',
  'BackendTLSPolicy',
  'InferencePool',
  ...AI_GATEWAY_KINDS,
  'SecurityPolicy',
  'ClientTrafficPolicy',
  'EnvoyExtensionPolicy',
  'MCPRoute',
  'Backend',
  'EnvoyProxy',
  'BackendTrafficPolicy',
] as const;

export function patcherSpec(
  kind: string,
  view: ResourceView,
  write: (write: StatusWrite) => Promise<unknown>,
  writeFinalizer?: (write: FinalizerWrite) => Promise<unknown>,
): ActorSpec<PatcherMessage | EffectReply> {
  return {
    name: patcherName(kind),
    machine: patcherMachine,
    input: { kind, view },
    mailbox: {
      capacity: 16_384,
      coalesceBy: (message) =>
        message.type === 'status.desired'
          ? formatResourceKey(message.key)
          : message.type === 'finalizer.desired'
            ? `finalizer:${formatResourceKey(message.key)}`
            : message.meta.id,
      keysWithin: (message) =>
        message.type === 'statuses.desired'
          ? message.statuses.map((desired) => formatResourceKey(desired.key))
          : undefined,
    },
    effects: {
      'write-status': write,
      ...(writeFinalizer === undefined ? {} : { 'write-finalizer': writeFinalizer }),
    },
  };
}
