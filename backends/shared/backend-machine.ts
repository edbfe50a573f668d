// The backend actor every data plane runs: takes the deployer's BackendGatewayEvents, translates each Gateway's IR
// (pure, inside the machine) with the backend's translation, asks the ADS server port to publish the result, and
// turns the proxies' ACKs and NACKs (`<backend>.proxy.*` reports) into BackendGatewayStatus for the deployer.
import { type AnyStateMachine, enqueueActions, setup } from 'xstate';
import type {
  BackendGatewayEvent,
  BackendGatewayStatus,
  ProxyState,
  TlsMaterial,
} from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import type { ActorRef, ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { ProxyDisconnectedOf, ProxyRejectedOf, ProxyReportOf, ProxySyncedOf } from './proxy-report.ts';
import { gatewayId } from './snapshot.ts';

/** What the actor needs of its ADS server; tests and replay substitute their own. */
export interface XdsPortOf<B extends string, R> {
  publish(gateway: ResourceKey, revision: number, resources: R): void;
  withdraw(gateway: ResourceKey): void;
  onReport(listener: (report: Draft<ProxyReportOf<B>>) => void): () => void;
}

/** What a backend plugs into the machine. */
export interface BackendDefinition<B extends string, R extends { readonly problems: readonly string[] }, O> {
  /** BackendGatewayStatus.backend, the prefix of its report messages and of the machine id. */
  readonly backend: B;
  /** The data plane as status messages name it ("translation to Envoy failed: …"). */
  readonly dataPlane: string;
  /** Translation options when the input gives none. */
  readonly defaultOptions?: O;
  readonly translate: (
    ir: GatewayIR,
    tls: Readonly<Record<string, TlsMaterial>>,
    options: O | undefined,
  ) => R;
}

export type BackendMessageOf<B extends string> = BackendGatewayEvent | ProxyReportOf<B>;

export interface PublishRequest<R> {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly resources: R;
}

interface GatewayState {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly translated: boolean;
  readonly message?: string;
  readonly proxies: Readonly<Record<string, ProxyState>>;
}

interface BackendContext<O> {
  readonly deployer: string;
  readonly translate?: O;
  readonly gateways: Readonly<Record<string, GatewayState>>;
}

export interface BackendInput<O> {
  /** Actor name BackendGatewayStatus goes to. */
  readonly deployer: string;
  readonly translate?: O;
}

export function backendMachine<B extends string, R extends { readonly problems: readonly string[] }, O>(
  definition: BackendDefinition<B, R, O>,
) {
  const { backend, dataPlane } = definition;
  const statusOf = (state: GatewayState) => gatewayStatus(backend, state);
  // The machine is typed for any backend's reports (`${string}.proxy.synced`): XState cannot key transitions by a
  // type parameter. It handles only the reports named after this backend.
  const synced: ProxySyncedOf<string>['type'] = `${backend}.proxy.synced`;
  const rejected: ProxyRejectedOf<string>['type'] = `${backend}.proxy.rejected`;
  const disconnected: ProxyDisconnectedOf<string>['type'] = `${backend}.proxy.disconnected`;
  const machineSetup = setup({
    types: {
      context: {} as BackendContext<O>,
      events: {} as BackendMessageOf<string> | EffectReply,
      emitted: {} as Outgoing,
      input: {} as BackendInput<O>,
    },
  });
  /** A proxy report changes that proxy's state; the deployer hears of it when what it sees changed. */
  const proxyChanged = <E extends ProxyReportOf<string>>(
    change: (report: E, old: TrackedProxy | undefined) => TrackedProxy | undefined,
  ) =>
    machineSetup.enqueueActions(({ context, event, enqueue }) => {
      const report = event as E;
      const update = updateProxy(backend, context, report.gateway, report.proxy, (old) =>
        change(report, old),
      );
      if (update === undefined) return;
      enqueue.assign({ gateways: update.gateways });
      enqueue.emit(deliverTo(context.deployer, update.status));
    });
  const reportTransitions = {
    [synced]: {
      actions: proxyChanged((report: ProxySyncedOf<string>, old) => ({
        proxy: report.proxy,
        ackedRevision: Math.max(old?.ackedRevision ?? 0, report.revision),
        // A later revision accepted clears an older rejection.
        ...(old?.rejection !== undefined && report.revision < (old.rejectedRevision ?? 0)
          ? { rejection: old.rejection, rejectedRevision: old.rejectedRevision }
          : {}),
      })),
    },
    [rejected]: {
      actions: proxyChanged((report: ProxyRejectedOf<string>, old) => ({
        proxy: report.proxy,
        ...(old?.ackedRevision === undefined ? {} : { ackedRevision: old.ackedRevision }),
        rejection: report.detail,
        rejectedRevision: report.revision,
      })),
    },
    [disconnected]: { actions: proxyChanged(() => undefined) },
  };
  return machineSetup.createMachine({
    id: `${backend}-backend`,
    context: ({ input }) => {
      const translate = input.translate ?? definition.defaultOptions;
      return { deployer: input.deployer, ...(translate === undefined ? {} : { translate }), gateways: {} };
    },
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
                const resources = definition.translate(event.ir, event.tls, context.translate);
                enqueue.emit(
                  effectRequest('xds.publish', {
                    gateway: event.gateway,
                    revision: event.revision,
                    resources,
                  } satisfies PublishRequest<R>),
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
                  message: `translation to ${dataPlane} failed: ${error instanceof Error ? error.message : String(error)}`,
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
              const request = event.request as PublishRequest<R>;
              const id = gatewayId(request.gateway);
              const state = context.gateways[id];
              if (state === undefined || state.revision !== request.revision) return;
              const next: GatewayState = {
                ...state,
                translated: false,
                message: `publishing to ${dataPlane} failed: ${event.error}`,
              };
              enqueue.assign({ gateways: { ...context.gateways, [id]: next } });
              enqueue.emit(deliverTo(context.deployer, statusOf(next)));
            }),
          },
          ...reportTransitions,
        },
      },
    },
  });
}

type TrackedProxy = ProxyState & { readonly rejectedRevision?: number };

interface ProxyUpdate {
  readonly gateways: Readonly<Record<string, GatewayState>>;
  readonly status: Draft<BackendGatewayStatus>;
}

/** Applies a change to one proxy of a Gateway we serve; undefined when nothing the deployer sees changed. */
function updateProxy(
  backend: string,
  context: BackendContext<unknown>,
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
  return { gateways: { ...context.gateways, [id]: next }, status: gatewayStatus(backend, next) };
}

function gatewayStatus(backend: string, state: GatewayState): Draft<BackendGatewayStatus> {
  return {
    type: 'backend.gateway.status',
    backend,
    gateway: state.gateway,
    revision: state.revision,
    translated: state.translated,
    ...(state.message === undefined ? {} : { message: state.message }),
    proxies: Object.values(state.proxies as Record<string, TrackedProxy>)
      .sort((a, b) => (a.proxy < b.proxy ? -1 : 1))
      .map(({ rejectedRevision: _r, ...proxy }) => proxy),
  };
}

export interface BackendOptions<B extends string, R, O = never> extends BackendInput<O> {
  /** Actor name; default `backend.<backend>`. */
  readonly name?: string;
  readonly xds: XdsPortOf<B, R>;
  readonly mailboxCapacity?: number;
}

/** The actor spec of a backend machine, its effects going to the options' ADS server port. */
export function backendSpec<B extends string, R, O>(
  backend: B,
  machine: AnyStateMachine,
  options: BackendOptions<B, R, O>,
): ActorSpec<BackendMessageOf<B>> {
  const xds = options.xds;
  return {
    name: options.name ?? `backend.${backend}`,
    machine,
    input: { deployer: options.deployer, ...(options.translate ? { translate: options.translate } : {}) },
    mailbox: { capacity: options.mailboxCapacity ?? 1024 },
    effects: {
      'xds.publish': (request: PublishRequest<R>) =>
        xds.publish(request.gateway, request.revision, request.resources),
      'xds.withdraw': (gateway: ResourceKey) => xds.withdraw(gateway),
    },
  };
}

/** Spawns a backend actor from its spec and wires the ADS server's proxy reports into its mailbox. */
export function spawnBackend<B extends string, R>(
  system: ActorSystem,
  spec: ActorSpec<BackendMessageOf<B>>,
  xds: Pick<XdsPortOf<B, R>, 'onReport'>,
): ActorRef<BackendMessageOf<B>> {
  const ref = system.spawn(spec);
  xds.onReport((report) => {
    ref
      .send(report)
      .catch((error: unknown) => system.logger.warn({ err: error }, 'proxy report not delivered'));
  });
  return ref;
}

/** A backend's actor: its machine, its spec, and a spawn that wires the ADS server's reports in. */
export interface Backend<B extends string, R extends { readonly problems: readonly string[] }, O> {
  readonly machine: ReturnType<typeof backendMachine<B, R, O>>;
  readonly spec: (options: BackendOptions<B, R, O>) => ActorSpec<BackendMessageOf<B>>;
  readonly spawn: (system: ActorSystem, options: BackendOptions<B, R, O>) => ActorRef<BackendMessageOf<B>>;
}

export function defineBackend<
  B extends string,
  R extends { readonly problems: readonly string[] },
  O = never,
>(definition: BackendDefinition<B, R, O>): Backend<B, R, O> {
  const machine = backendMachine(definition);
  const spec = (options: BackendOptions<B, R, O>) => backendSpec(definition.backend, machine, options);
  return { machine, spec, spawn: (system, options) => spawnBackend(system, spec(options), options.xds) };
}
