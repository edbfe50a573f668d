// The agentgateway backend actor: takes the deployer's BackendGatewayEvents, translates each Gateway's IR into
// agentgateway resources (pure, inside the machine), asks the delta ADS server port to publish them, and turns the
// proxies' ACKs and NACKs into BackendGatewayStatus for the deployer — the same protocol as the Envoy backend.
import { enqueueActions, setup } from 'xstate';
import type { BackendGatewayEvent, BackendGatewayStatus, ProxyState } from '../../model/backend-contract.ts';
import type { ResourceKey } from '../../model/resource-key.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import type { ActorRef, ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { gatewayId } from './node-identity.ts';
import type { AgentgatewayProxyReport } from './proxy-report.ts';
import { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';
import type { AgentgatewayXdsServer } from './xds-server.ts';

/** What the actor needs of the ADS server (AgentgatewayXdsServer); tests and replay substitute their own. */
export type AgentgatewayXdsPort = Pick<AgentgatewayXdsServer, 'publish' | 'withdraw' | 'onReport'>;

export const AGENTGATEWAY_BACKEND = 'agentgateway';

export type AgentgatewayBackendMessage = BackendGatewayEvent | AgentgatewayProxyReport;

export interface PublishRequest {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly resources: AgentgatewayResources;
}

interface GatewayState {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly translated: boolean;
  readonly message?: string;
  readonly proxies: Readonly<Record<string, ProxyState>>;
}

interface BackendContext {
  readonly deployer: string;
  readonly gateways: Readonly<Record<string, GatewayState>>;
}

export interface AgentgatewayBackendInput {
  /** Actor name BackendGatewayStatus goes to. */
  readonly deployer: string;
}

export const agentgatewayBackendMachine = setup({
  types: {
    context: {} as BackendContext,
    events: {} as AgentgatewayBackendMessage | EffectReply,
    emitted: {} as Outgoing,
    input: {} as AgentgatewayBackendInput,
  },
}).createMachine({
  id: 'agentgateway-backend',
  context: ({ input }) => ({ deployer: input.deployer, gateways: {} }),
  initial: 'serving',
  states: {
    serving: {
      tags: ['ready'],
      on: {
        'backend.gateway.changed': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = gatewayId(event.gateway);
            const previous = context.gateways[id];
            let next: GatewayState;
            try {
              const resources = translateGateway(event.ir, event.tls);
              enqueue.emit(
                effectRequest('xds.publish', {
                  gateway: event.gateway,
                  revision: event.revision,
                  resources,
                } satisfies PublishRequest),
              );
              next = {
                gateway: event.gateway,
                revision: event.revision,
                translated: true,
                ...(resources.problems.length > 0 ? { message: resources.problems.join('; ') } : {}),
                proxies: previous?.proxies ?? {},
              };
            } catch (error) {
              next = {
                gateway: event.gateway,
                revision: event.revision,
                translated: false,
                message: `translation to agentgateway failed: ${error instanceof Error ? error.message : String(error)}`,
                proxies: previous?.proxies ?? {},
              };
            }
            enqueue.assign({ gateways: { ...context.gateways, [id]: next } });
            enqueue.emit(deliverTo(context.deployer, statusOf(next)));
          }),
        },
        'backend.gateway.deleted': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { [gatewayId(event.gateway)]: _gone, ...rest } = context.gateways;
            enqueue.assign({ gateways: rest });
            enqueue.emit(effectRequest('xds.withdraw', event.gateway));
          }),
        },
        'effect.failed': {
          // The ADS server could not take the resources (they did not encode): the revision is not programmed.
          guard: ({ event }) => event.effect === 'xds.publish',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const request = event.request as PublishRequest;
            const id = gatewayId(request.gateway);
            const state = context.gateways[id];
            if (state === undefined || state.revision !== request.revision) return;
            const next: GatewayState = {
              ...state,
              translated: false,
              message: `publishing to agentgateway failed: ${event.error}`,
            };
            enqueue.assign({ gateways: { ...context.gateways, [id]: next } });
            enqueue.emit(deliverTo(context.deployer, statusOf(next)));
          }),
        },
        'agentgateway.proxy.synced': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const update = updateProxy(context, event.gateway, event.proxy, (old) => ({
              proxy: event.proxy,
              ackedRevision: Math.max(old?.ackedRevision ?? 0, event.revision),
              // A later revision accepted clears an older rejection.
              ...(old?.rejection !== undefined && event.revision < (old.rejectedRevision ?? 0)
                ? { rejection: old.rejection, rejectedRevision: old.rejectedRevision }
                : {}),
            }));
            if (update === undefined) return;
            enqueue.assign({ gateways: update.gateways });
            enqueue.emit(deliverTo(context.deployer, update.status));
          }),
        },
        'agentgateway.proxy.rejected': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const update = updateProxy(context, event.gateway, event.proxy, (old) => ({
              proxy: event.proxy,
              ...(old?.ackedRevision === undefined ? {} : { ackedRevision: old.ackedRevision }),
              rejection: event.detail,
              rejectedRevision: event.revision,
            }));
            if (update === undefined) return;
            enqueue.assign({ gateways: update.gateways });
            enqueue.emit(deliverTo(context.deployer, update.status));
          }),
        },
        'agentgateway.proxy.disconnected': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const update = updateProxy(context, event.gateway, event.proxy, () => undefined);
            if (update === undefined) return;
            enqueue.assign({ gateways: update.gateways });
            enqueue.emit(deliverTo(context.deployer, update.status));
          }),
        },
      },
    },
  },
});

type TrackedProxy = ProxyState & { readonly rejectedRevision?: number };

interface ProxyUpdate {
  readonly gateways: Readonly<Record<string, GatewayState>>;
  readonly status: Draft<BackendGatewayStatus>;
}

/** Applies a change to one proxy of a Gateway we serve; undefined when nothing the deployer sees changed. */
function updateProxy(
  context: BackendContext,
  gateway: ResourceKey,
  proxy: string,
  change: (old: TrackedProxy | undefined) => TrackedProxy | undefined,
): ProxyUpdate | undefined {
  const id = gatewayId(gateway);
  const state = context.gateways[id];
  if (state === undefined) return undefined; // a proxy of a Gateway we do not (or no longer) serve
  const { [proxy]: old, ...others } = state.proxies as Record<string, TrackedProxy>;
  const updated = change(old);
  if (updated === undefined && old === undefined) return undefined;
  if (updated !== undefined && old !== undefined && JSON.stringify(updated) === JSON.stringify(old))
    return undefined;
  const next: GatewayState = {
    ...state,
    proxies: updated === undefined ? others : { ...others, [proxy]: updated },
  };
  return { gateways: { ...context.gateways, [id]: next }, status: statusOf(next) };
}

function statusOf(state: GatewayState): Draft<BackendGatewayStatus> {
  return {
    type: 'backend.gateway.status',
    backend: AGENTGATEWAY_BACKEND,
    gateway: state.gateway,
    revision: state.revision,
    translated: state.translated,
    ...(state.message === undefined ? {} : { message: state.message }),
    proxies: Object.values(state.proxies as Record<string, TrackedProxy>)
      .sort((a, b) => (a.proxy < b.proxy ? -1 : 1))
      .map(({ rejectedRevision: _r, ...proxy }) => proxy),
  };
}

export interface AgentgatewayBackendOptions extends AgentgatewayBackendInput {
  /** Actor name; default 'backend.agentgateway'. */
  readonly name?: string;
  readonly xds: AgentgatewayXdsPort;
  readonly mailboxCapacity?: number;
}

export function agentgatewayBackendSpec(
  options: AgentgatewayBackendOptions,
): ActorSpec<AgentgatewayBackendMessage> {
  const xds = options.xds;
  return {
    name: options.name ?? 'backend.agentgateway',
    machine: agentgatewayBackendMachine,
    input: { deployer: options.deployer },
    mailbox: { capacity: options.mailboxCapacity ?? 1024 },
    effects: {
      'xds.publish': (request: PublishRequest) =>
        xds.publish(request.gateway, request.revision, request.resources),
      'xds.withdraw': (gateway: ResourceKey) => xds.withdraw(gateway),
    },
  };
}

/** Spawns the backend actor and wires the ADS server's proxy reports into its mailbox. */
export function spawnAgentgatewayBackend(
  system: ActorSystem,
  options: AgentgatewayBackendOptions,
): ActorRef<AgentgatewayBackendMessage> {
  const ref = system.spawn(agentgatewayBackendSpec(options));
  options.xds.onReport((report) => {
    ref
      .send(report)
      .catch((error: unknown) => system.logger.warn({ err: error }, 'proxy report not delivered'));
  });
  return ref;
}
