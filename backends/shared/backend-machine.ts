// The backend actor every data plane runs: takes the deployer's BackendGatewayEvents, translates each Gateway's IR
// (pure, inside the machine) with the backend's translation, asks the ADS server port to publish the result, and
// turns the proxies' ACKs and NACKs (`<backend>.proxy.*` reports) into BackendGatewayStatus for the deployer.
//
// What goes on the wire is numbered apart from the deployer's revisions: every publish and withdrawal of a Gateway
// gets the next wire revision of that Gateway's name, kept for the life of the process, so a proxy that stays
// connected never sees a revision go backwards (a Gateway deleted and re-created) and never mistakes an answer
// about an older push for one about the current push. Reports are mapped back to the deployer's revisions.
import { type AnyStateMachine, enqueueActions, setup } from 'xstate';
import type { BackendGatewayEvent, DataPlaneRefusal, TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { ActorRef, ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import {
  type BackendContext,
  type GatewayState,
  gatewayStatus,
  revisionOfWire,
  type TrackedProxy,
  updateProxy,
} from './backend-state.ts';
import type {
  ProxyConnectedOf,
  ProxyDisconnectedOf,
  ProxyRejectedOf,
  ProxyReportOf,
  ProxySyncedOf,
} from './proxy-report.ts';
import { type ResourceOrigin, withoutPieces } from './refusal-search.ts';
import { offer, searchStep, withoutRejectionOf } from './refusal-search-steps.ts';
import { gatewayId } from './snapshot.ts';

/** What the actor needs of its ADS server; tests and replay substitute their own. */
export interface XdsPortOf<B extends string, R> {
  /** Publishes a Gateway's resources as wire revision `revision` (higher than any before for that Gateway). */
  publish(gateway: ResourceKey, revision: number, resources: R): void;
  /** Removes a Gateway's resources from its proxies, as wire revision `revision`. */
  withdraw(gateway: ResourceKey, revision: number): void;
  onReport(listener: (report: Draft<ProxyReportOf<B>>) => void): () => void;
}

/** What a backend's translation gives the machine besides its resources. */
export interface TranslatedResources {
  /** Parts of the IR that could not be programmed, each naming what and why (the Gateway's message). */
  readonly problems: readonly string[];
  /**
   * Values of the IR this data plane cannot express, on the route rule or listener they belong to (served
   * failing closed): reported as the data plane's refusals are, so the object's status names them.
   */
  readonly unsupported?: readonly DataPlaneRefusal[];
}

/** What a backend plugs into the machine. */
export interface BackendDefinition<B extends string, R extends TranslatedResources, O> {
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
  /**
   * The object of the IR each resource was translated from, by xDS name, for a data plane that refuses single
   * resources (agentgateway): its refusals are reported on those objects.
   */
  readonly origins?: (ir: GatewayIR, resources: R) => ReadonlyMap<string, ResourceOrigin>;
  /**
   * The data plane refuses whole responses (Envoy): after a NACK the backend finds the refused listeners and rules
   * by pushing parts of the revision, drops them and serves the rest (refusal-search.ts).
   */
  readonly searchesRefusals?: boolean;
}

export type { ResourceOrigin } from './refusal-search.ts';

export type BackendMessageOf<B extends string> = BackendGatewayEvent | ProxyReportOf<B>;

export interface PublishRequest<R> {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly resources: R;
}

/** How many recent publishes a Gateway remembers: a report about an older one is about a revision long gone. */
const PUBLISHED_KEPT = 16;

export interface BackendInput<O> {
  /** Actor name BackendGatewayStatus goes to. */
  readonly deployer: string;
  readonly translate?: O;
}

export function backendMachine<B extends string, R extends TranslatedResources, O>(
  definition: BackendDefinition<B, R, O>,
) {
  const { backend, dataPlane } = definition;
  const statusOf = (state: GatewayState) => gatewayStatus(backend, state);
  // The machine is typed for any backend's reports (`${string}.proxy.synced`): XState cannot key transitions by a
  // type parameter. It handles only the reports named after this backend.
  const synced: ProxySyncedOf<string>['type'] = `${backend}.proxy.synced`;
  const rejected: ProxyRejectedOf<string>['type'] = `${backend}.proxy.rejected`;
  const disconnected: ProxyDisconnectedOf<string>['type'] = `${backend}.proxy.disconnected`;
  const connected: ProxyConnectedOf<string>['type'] = `${backend}.proxy.connected`;
  const machineSetup = setup({
    types: {
      context: {} as BackendContext<O>,
      events: {} as BackendMessageOf<string> | EffectReply,
      emitted: {} as Outgoing,
      input: {} as BackendInput<O>,
    },
  });
  /**
   * A proxy report changes that proxy's state; the deployer hears of it when what it sees changed. A backend that
   * searches refusals then takes the proxies' answer to its latest push, and may push the next candidate.
   */
  const proxyChanged = <E extends ProxyReportOf<string>>(
    change: (report: E, old: TrackedProxy | undefined, state: GatewayState) => TrackedProxy | undefined,
  ) =>
    machineSetup.enqueueActions(({ context, event, enqueue }) => {
      const report = event as E;
      const update = updateProxy(backend, context, report.gateway, report.proxy, (old, state) =>
        change(report, old, state),
      );
      if (update === undefined) return;
      const id = gatewayId(report.gateway);
      const state = update.gateways[id]!;
      const step = state.refused === undefined ? undefined : searchStep(backend, state, state.refused);
      if (step === undefined) {
        enqueue.assign({ gateways: update.gateways });
        enqueue.emit(deliverTo(context.deployer, update.status));
        return;
      }
      let next: GatewayState = {
        ...state,
        refused: step.refused,
        // A refusal the search takes over is reported as what it drops, not as the proxies' rejection.
        ...(step.candidate === undefined ? {} : { proxies: withoutRejectionOf(state.proxies, state) }),
      };
      let wires = context.wires;
      if (step.candidate !== undefined) {
        const resources = definition.translate(step.candidate, step.refused.tls, context.translate);
        const wire = (wires[id] ?? 0) + 1;
        wires = { ...wires, [id]: wire };
        enqueue.emit(publishRequest(state.gateway, wire, resources));
        next = {
          ...next,
          published: [...next.published, { wire, revision: next.revision }].slice(-PUBLISHED_KEPT),
        };
      }
      enqueue.assign({ gateways: { ...update.gateways, [id]: next }, wires });
      enqueue.emit(deliverTo(context.deployer, statusOf(next)));
    });
  const reportTransitions = {
    [synced]: {
      actions: proxyChanged((report: ProxySyncedOf<string>, old, state) => {
        const revision = revisionOfWire(state, report.revision);
        if (revision === undefined && old !== undefined) return old; // about a push long replaced
        const newer = old?.ackedWire === undefined || report.revision >= old.ackedWire;
        return {
          proxy: report.proxy,
          ...(!newer
            ? pick(old, 'ackedRevision', 'ackedWire', 'refusals')
            : {
                ...(revision === undefined ? {} : { ackedRevision: revision }),
                ackedWire: report.revision,
                ...(report.refusals === undefined ? {} : { refusals: report.refusals }),
              }),
          // A later revision accepted clears an older rejection.
          ...(old?.rejection !== undefined && report.revision < (old.rejectedWire ?? 0)
            ? { rejection: old.rejection, rejectedWire: old.rejectedWire }
            : {}),
        };
      }),
    },
    [rejected]: {
      actions: proxyChanged((report: ProxyRejectedOf<string>, old) => ({
        proxy: report.proxy,
        ...(old === undefined ? {} : pick(old, 'ackedRevision', 'ackedWire', 'refusals')),
        rejection: report.detail,
        rejectedWire: report.revision,
      })),
    },
    [disconnected]: { actions: proxyChanged(() => undefined) },
    // Known from its first stream on, so the Gateway waits for it too.
    [connected]: {
      actions: proxyChanged((report: ProxyConnectedOf<string>, old) => old ?? { proxy: report.proxy }),
    },
  };
  return machineSetup.createMachine({
    id: `${backend}-backend`,
    context: ({ input }) => {
      const translate = input.translate ?? definition.defaultOptions;
      return {
        deployer: input.deployer,
        ...(translate === undefined ? {} : { translate }),
        gateways: {},
        wires: {},
      };
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
              let wires = context.wires;
              try {
                const refused = definition.searchesRefusals
                  ? offer(event.ir, event.tls, previous?.refused)
                  : undefined;
                const served =
                  refused === undefined ? event.ir : withoutPieces(event.ir, new Set(refused.dropped.keys()));
                const resources = definition.translate(served, event.tls, context.translate);
                const wire = (wires[id] ?? 0) + 1;
                wires = { ...wires, [id]: wire };
                enqueue.emit(publishRequest(event.gateway, wire, resources));
                const origins = definition.origins?.(served, resources);
                next = {
                  gateway: event.gateway,
                  revision: event.revision,
                  translated: true,
                  ...(resources.problems.length > 0 ? { message: resources.problems.join('; ') } : {}),
                  proxies: previous?.proxies ?? {},
                  published: [...(previous?.published ?? []), { wire, revision: event.revision }].slice(
                    -PUBLISHED_KEPT,
                  ),
                  ...(origins === undefined ? {} : { origins }),
                  ...(refused === undefined ? {} : { refused }),
                  ...(resources.unsupported?.length ? { unsupported: resources.unsupported } : {}),
                };
              } catch (error) {
                next = {
                  gateway: event.gateway,
                  revision: event.revision,
                  translated: false,
                  message: `translation to ${dataPlane} failed: ${error instanceof Error ? error.message : String(error)}`,
                  proxies: previous?.proxies ?? {},
                  published: previous?.published ?? [],
                };
              }
              enqueue.assign({ gateways: { ...context.gateways, [id]: next }, wires });
              enqueue.emit(deliverTo(context.deployer, statusOf(next)));
            }),
          },
          'backend.gateway.deleted': {
            actions: enqueueActions(({ context, event, enqueue }) => {
              const id = gatewayId(event.gateway);
              const { [id]: _gone, ...rest } = context.gateways;
              const wire = (context.wires[id] ?? 0) + 1;
              enqueue.assign({ gateways: rest, wires: { ...context.wires, [id]: wire } });
              enqueue.emit(
                effectRequest('xds.withdraw', {
                  gateway: event.gateway,
                  revision: wire,
                } satisfies WithdrawRequest),
              );
            }),
          },
          'effect.failed': {
            // The ADS server could not take the resources (they did not encode): the revision is not programmed.
            guard: ({ event }) => event.effect === 'xds.publish',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const request = event.request as PublishRequest<R>;
              const id = gatewayId(request.gateway);
              const state = context.gateways[id];
              if (state === undefined || state.published.at(-1)?.wire !== request.revision) return;
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

export interface WithdrawRequest {
  readonly gateway: ResourceKey;
  readonly revision: number;
}

function pick<T extends object, K extends keyof T>(value: T | undefined, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value?.[key] !== undefined) out[key] = value[key];
  return out;
}

function publishRequest<R>(gateway: ResourceKey, wire: number, resources: R) {
  return effectRequest('xds.publish', { gateway, revision: wire, resources } satisfies PublishRequest<R>);
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
      'xds.withdraw': (request: WithdrawRequest) => xds.withdraw(request.gateway, request.revision),
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
export interface Backend<B extends string, R extends TranslatedResources, O> {
  readonly machine: ReturnType<typeof backendMachine<B, R, O>>;
  readonly spec: (options: BackendOptions<B, R, O>) => ActorSpec<BackendMessageOf<B>>;
  readonly spawn: (system: ActorSystem, options: BackendOptions<B, R, O>) => ActorRef<BackendMessageOf<B>>;
}

export function defineBackend<B extends string, R extends TranslatedResources, O = never>(
  definition: BackendDefinition<B, R, O>,
): Backend<B, R, O> {
  const machine = backendMachine(definition);
  const spec = (options: BackendOptions<B, R, O>) => backendSpec(definition.backend, machine, options);
  return { machine, spec, spawn: (system, options) => spawnBackend(system, spec(options), options.xds) };
}
