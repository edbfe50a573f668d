// Standalone mode's data plane: one local Envoy process per Gateway the deployer serves, started when the
// Gateway appears, stopped when it goes, and restarted with capped exponential backoff when it exits on its own.
// The processes are effects (ports `start-proxy`, `stop-proxy`); their exits come back as `proxy.exited`.
import { enqueueActions, raise, setup } from 'xstate';
import type { EnvoyProcessIR } from '../../model/ir/envoy-gateway.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';
import { type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';

export const LOCAL_DATA_PLANE = 'local-data-plane';

export interface LocalGatewayPresent extends Message<'local.gateway.present'> {
  readonly gateway: ResourceKey;
  /** The Gateway's EnvoyProxy command-line settings; a change restarts its proxy with them. */
  readonly process?: EnvoyProcessIR;
}

export interface LocalGatewayAbsent extends Message<'local.gateway.absent'> {
  readonly gateway: ResourceKey;
}

/** Sent by the process port when a proxy exits without being asked to. */
export interface LocalProxyExited extends Message<'proxy.exited'> {
  readonly gateway: ResourceKey;
  readonly code: number | null;
}

interface RestartDue {
  readonly type: 'proxy.restart';
  readonly gateway: ResourceKey;
  readonly meta?: undefined;
}

export type LocalDataPlaneMessage = LocalGatewayPresent | LocalGatewayAbsent | LocalProxyExited | EffectReply;

interface WantedProxy {
  readonly gateway: ResourceKey;
  process: EnvoyProcessIR | undefined;
  /** Consecutive unexpected exits, for the backoff. */
  exits: number;
  starts: number;
}

interface LocalDataPlaneContext {
  readonly wanted: Map<string, WantedProxy>;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const localDataPlaneMachine = setup({
  types: {
    input: {} as { initialDelayMs?: number; maxDelayMs?: number },
    context: {} as LocalDataPlaneContext,
    events: {} as LocalDataPlaneMessage | RestartDue,
    emitted: {} as Outgoing,
  },
}).createMachine({
  id: 'local-data-plane',
  context: ({ input }) => ({
    wanted: new Map(),
    initialDelayMs: input.initialDelayMs ?? 500,
    maxDelayMs: input.maxDelayMs ?? 30_000,
  }),
  initial: 'supervising',
  states: {
    supervising: {
      tags: ['ready'],
      on: {
        'local.gateway.present': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = formatResourceKey(event.gateway);
            const running = context.wanted.get(id);
            if (running !== undefined) {
              if (JSON.stringify(running.process ?? null) === JSON.stringify(event.process ?? null)) return;
              // New command-line settings: the proxy restarts with them (xDS state comes back from the server).
              running.process = event.process;
              running.exits = 0;
              running.starts++;
              enqueue.emit(effectRequest('stop-proxy', { gateway: event.gateway }));
              enqueue.emit(effectRequest('start-proxy', startRequest(running)));
              return;
            }
            const proxy: WantedProxy = {
              gateway: event.gateway,
              process: event.process,
              exits: 0,
              starts: 1,
            };
            context.wanted.set(id, proxy);
            enqueue.emit(effectRequest('start-proxy', startRequest(proxy)));
          }),
        },
        'local.gateway.absent': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (!context.wanted.delete(formatResourceKey(event.gateway))) return;
            enqueue.emit(effectRequest('stop-proxy', { gateway: event.gateway }));
          }),
        },
        'proxy.exited': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const proxy = context.wanted.get(formatResourceKey(event.gateway));
            if (proxy === undefined) return;
            proxy.exits++;
            const delay = Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** (proxy.exits - 1));
            enqueue(raise({ type: 'proxy.restart', gateway: event.gateway } as RestartDue, { delay }));
          }),
        },
        'proxy.restart': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const proxy = context.wanted.get(formatResourceKey(event.gateway));
            if (proxy === undefined) return;
            proxy.starts++;
            enqueue.emit(effectRequest('start-proxy', startRequest(proxy)));
          }),
        },
        'effect.failed': {
          // A proxy that cannot even start (binary gone, port taken) is retried like one that exited.
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.effect !== 'start-proxy') return;
            const gateway = (event.request as { gateway: ResourceKey }).gateway;
            const proxy = context.wanted.get(formatResourceKey(gateway));
            if (proxy === undefined) return;
            proxy.exits++;
            const delay = Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** (proxy.exits - 1));
            enqueue(raise({ type: 'proxy.restart', gateway } as RestartDue, { delay }));
          }),
        },
        'effect.done': {},
      },
    },
  },
});

/** What the `start-proxy` port receives. */
export interface StartProxyRequest {
  readonly gateway: ResourceKey;
  readonly process?: EnvoyProcessIR;
}

function startRequest(proxy: WantedProxy): StartProxyRequest {
  return { gateway: proxy.gateway, ...(proxy.process === undefined ? {} : { process: proxy.process }) };
}
