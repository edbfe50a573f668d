// The gateway deployer: hands each resolved Gateway's IR to the backend its GatewayClass chooses, follows the
// backend's answers (translated, ACKed, NACKed by proxies), and computes the statuses that depend on them — the
// Gateway's and its ListenerSets' (Programmed, addresses) — for the patchers.
import { enqueueActions, setup } from 'xstate';
import type { GatewayListeners } from '../../model/gateway-api/gateway-listeners.ts';
import {
  computeGatewayStatus,
  computeListenerSetStatus,
  type GatewayStatusOptions,
  type ListenerRefusal,
  type ProgrammedState,
} from '../../model/gateway-api/gateway-status.ts';
import { listenerId } from '../../model/gateway-api/route-status.ts';
import type {
  BackendGatewayEvent,
  DataPlaneRefusal,
  ProxyState,
  TlsMaterial,
} from '../../model/ir/backend-contract.ts';
import { type EnvoyProcessIR, envoyProcessOf } from '../../model/ir/envoy-gateway.ts';
import type { GatewayIR, RouteIR } from '../../model/ir/gateway-ir.ts';
import {
  desiredDataPlane,
  type ProvisioningSettings,
  provisionedName,
  serviceAddresses,
} from '../../model/provisioning/provisioning.ts';
import type { Gateway, GatewaySpecAddress } from '../../model/resources/gateway-api.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import { GatewayReason } from '../../model/shared/conditions.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { sameJson } from '../../runtime/fingerprint.ts';
import { type DeliverRequest, deliverTo, type Outgoing } from '../../runtime/outbox.ts';
import { patcherName, WITHDRAWN_STATUS } from '../patchers/messages.ts';
import type { DataPlaneDesired, DataPlaneUnwanted } from '../provisioner/messages.ts';
import { REFERENCE_VALIDATOR, type RoutesRefusedByDataPlane } from '../reference-validator/messages.ts';
import type { GatewayDeployerMessage } from './messages.ts';
import { invalidConfiguration, noBackend, programmedFromBackend } from './programmed.ts';

export interface GatewayDeployerInput {
  readonly view: ResourceView;
  readonly controllerName: string;
  /** Backend name (GatewayClassParameters spec.backend) → the actor serving it. */
  readonly backends: Readonly<Record<string, string>>;
  /** Standalone mode: the actor that runs a local Envoy per Gateway of an `envoy` class. */
  readonly localDataPlane?: string;
  /**
   * Cluster mode: the actor that writes each accepted Gateway's data plane (ServiceAccount, ConfigMap, Deployment,
   * Service), and per backend how its data plane is made. Programmed then also needs an address on the Service.
   */
  readonly provisioning?: {
    readonly provisioner: string;
    readonly backends: Readonly<Record<string, ProvisioningSettings>>;
  };
}

export interface DeployedGateway {
  readonly key: ResourceKey;
  listeners: GatewayListeners;
  attachedRoutes: ReadonlyMap<string, number>;
  /** The backend actor holding this Gateway's configuration, if any. */
  backendActor: string | undefined;
  revision: number;
  /** The IR last sent to the backend (or one equal to it): an unchanged IR is not sent again. */
  sentIR: GatewayIR | undefined;
  /** The latest IR, for `translate --show ir` and the inspector. */
  ir: GatewayIR | undefined;
  /** Each proxy's ACKed revision or rejection, as the backend last reported (for the inspector). */
  proxies: readonly ProxyState[];
  /** What the data plane runs without, or with a warning, of the revision its proxies took (see refusals.ts). */
  refusals: readonly DataPlaneRefusal[];
  /** JSON of the route refusals last sent to the reference validator. */
  sentRefusals: string;
  programmed: ProgrammedState;
  /** Cluster mode: JSON of the data-plane objects last sent to the provisioner (undefined: none wanted). */
  provisioned: string | undefined;
}

interface GatewayDeployerContext extends GatewayDeployerInput {
  readonly gateways: Map<string, DeployedGateway>;
  /**
   * The last revision per Gateway id, kept after the Gateway goes: a Gateway deleted and re-created goes on from
   * there, so an answer about its earlier life is never taken for one about its new revisions.
   */
  readonly revisions: Map<string, number>;
  /** Gateways the local data plane was told to run a proxy for, with the JSON of the proxy's process settings. */
  readonly local: Map<string, string>;
}

export const gatewayDeployerMachine = setup({
  types: {
    input: {} as GatewayDeployerInput,
    context: {} as GatewayDeployerContext,
    events: {} as GatewayDeployerMessage,
    emitted: {} as Outgoing,
  },
}).createMachine({
  id: 'gateway-deployer',
  context: ({ input }) => ({ ...input, gateways: new Map(), revisions: new Map(), local: new Map() }),
  initial: 'deploying',
  states: {
    deploying: {
      tags: ['ready'],
      on: {
        'gateway.resolved': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = formatResourceKey(event.gateway);
            const entry: DeployedGateway = context.gateways.get(id) ?? {
              key: event.gateway,
              listeners: event.listeners,
              attachedRoutes: new Map(),
              backendActor: undefined,
              revision: context.revisions.get(id) ?? 0,
              sentIR: undefined,
              ir: undefined,
              proxies: [],
              refusals: [],
              sentRefusals: '[]',
              programmed: invalidConfiguration,
              provisioned: undefined,
            };
            context.gateways.set(id, entry);
            entry.listeners = event.listeners;
            entry.attachedRoutes = new Map(event.attachedRoutes);
            entry.ir = event.ir;
            for (const request of deploy(context, entry, event.ir)) enqueue.emit(request);
            for (const request of localProxy(
              context,
              event.gateway,
              event.ir?.parameters.backend === 'envoy',
              envoyProcessOf(event.ir?.envoyProxy),
            )) {
              enqueue.emit(request);
            }
            for (const request of statuses(context, entry, event.meta.time)) enqueue.emit(request);
          }),
        },
        'gateway.removed': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = formatResourceKey(event.gateway);
            const entry = context.gateways.get(id);
            context.gateways.delete(id);
            for (const request of localProxy(context, event.gateway, false)) enqueue.emit(request);
            if (context.provisioning !== undefined) {
              const unwanted: Omit<DataPlaneUnwanted, 'meta'> = {
                type: 'data-plane.unwanted',
                gateway: event.gateway,
              };
              enqueue.emit(deliverTo(context.provisioning.provisioner, unwanted));
            }
            if (entry?.backendActor !== undefined) {
              enqueue.emit(
                deliverTo(entry.backendActor, { type: 'backend.gateway.deleted', gateway: event.gateway }),
              );
            }
            if (entry !== undefined) {
              entry.refusals = [];
              for (const request of routeRefusals(entry)) enqueue.emit(request);
              for (const request of withdrawnStatuses(context, entry)) enqueue.emit(request);
            }
          }),
        },
        'backend.gateway.status': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const entry = context.gateways.get(formatResourceKey(event.gateway));
            if (entry === undefined) return;
            // Proxies report on older revisions too (a NACKed one, a slow one): their state is always news.
            entry.proxies = event.proxies;
            if (event.revision !== entry.revision) return;
            const listeners = entry.ir?.ports.reduce((n, port) => n + port.listeners.length, 0) ?? 0;
            entry.programmed = programmedFromBackend(event, entry.revision, listeners);
            // What a proxy runs of this revision, once one runs it; until then what it ran of the one before.
            if (event.proxies.some((p) => p.ackedRevision === entry.revision) || !event.translated)
              entry.refusals = event.refusals ?? [];
            for (const request of routeRefusals(entry)) enqueue.emit(request);
            for (const request of statuses(context, entry, event.meta.time)) enqueue.emit(request);
          }),
        },
      },
    },
  },
});

/** Sends the IR to its backend when it changed; an invalid Gateway's configuration is withdrawn. */
function deploy(
  context: GatewayDeployerContext,
  entry: DeployedGateway,
  ir: GatewayIR | undefined,
): DeliverRequest[] {
  const out: DeliverRequest[] = [];
  const backendActor = ir === undefined ? undefined : context.backends[ir.parameters.backend];
  if (entry.backendActor !== undefined && entry.backendActor !== backendActor) {
    out.push(deliverTo(entry.backendActor, { type: 'backend.gateway.deleted', gateway: entry.key }));
    entry.sentIR = undefined;
  }
  entry.backendActor = backendActor;
  if (ir === undefined) {
    entry.programmed = invalidConfiguration;
    return out;
  }
  if (backendActor === undefined) {
    entry.programmed = noBackend(ir.parameters.backend);
    return out;
  }
  // Compared with what was sent, not serialised: the IR of an unchanged route is the same object as before.
  if (entry.sentIR !== undefined && sameJson(ir, entry.sentIR)) {
    entry.sentIR = ir;
    return out;
  }
  entry.sentIR = ir;
  entry.revision++;
  context.revisions.set(formatResourceKey(entry.key), entry.revision);
  entry.programmed = {
    status: 'Unknown',
    reason: 'Pending',
    message: `Waiting for the ${ir.parameters.backend} data plane to accept revision ${entry.revision}`,
  };
  const changed: Omit<Extract<BackendGatewayEvent, { type: 'backend.gateway.changed' }>, 'meta'> = {
    type: 'backend.gateway.changed',
    gateway: entry.key,
    revision: entry.revision,
    ir,
    tls: tlsMaterial(context.view, ir),
  };
  out.push(deliverTo(backendActor, changed));
  return out;
}

/**
 * Tells the local data plane (standalone mode) whether this Gateway needs a local Envoy, and with what command-line
 * settings (its EnvoyProxy's), when that changes.
 */
function localProxy(
  context: GatewayDeployerContext,
  gateway: ResourceKey,
  wanted: boolean,
  process?: EnvoyProcessIR,
): DeliverRequest[] {
  if (context.localDataPlane === undefined) return [];
  const id = formatResourceKey(gateway);
  const settings = JSON.stringify(process ?? null);
  if (!wanted) {
    if (!context.local.delete(id)) return [];
    return [deliverTo(context.localDataPlane, { type: 'local.gateway.absent', gateway })];
  }
  if (context.local.get(id) === settings) return [];
  context.local.set(id, settings);
  return [
    deliverTo(context.localDataPlane, {
      type: 'local.gateway.present',
      gateway,
      ...(process === undefined ? {} : { process }),
    }),
  ];
}

function statuses(context: GatewayDeployerContext, entry: DeployedGateway, time: number): DeliverRequest[] {
  const gateway = context.view.get('Gateway', entry.key.namespace, entry.key.name);
  if (gateway === undefined) return [];
  const now = new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const out: DeliverRequest[] = [];
  let options: GatewayStatusOptions = {
    controllerName: context.controllerName,
    now,
    attachedRoutes: withoutDroppedRoutes(entry),
    programmed: entry.programmed,
    listeners: entry.listeners,
    ...listenerRefusals(entry),
  };
  if (context.provisioning !== undefined) {
    const accepted =
      computeGatewayStatus(gateway, context.view, options)?.conditions?.find((c) => c.type === 'Accepted')
        ?.status === 'True';
    const provisioned = provision(context, context.provisioning, entry, gateway, accepted, out);
    options = {
      ...options,
      programmed: provisioned.programmed,
      ...(provisioned.addresses.length === 0 ? {} : { addresses: provisioned.addresses }),
    };
  }
  const status = computeGatewayStatus(gateway, context.view, options);
  if (status !== undefined)
    out.push(deliverTo(patcherName('Gateway'), { type: 'status.desired', key: entry.key, status }));
  for (const verdict of entry.listeners.listenerSets) {
    const listenerSetStatus = computeListenerSetStatus(verdict.listenerSet, context.view, options);
    if (listenerSetStatus !== undefined) {
      out.push(
        deliverTo(patcherName('ListenerSet'), {
          type: 'status.desired',
          key: verdict.key,
          status: listenerSetStatus,
        }),
      );
    }
  }
  return out;
}

/** Tells the reference validator what the data plane refuses of the routes, when that changed. */
function routeRefusals(entry: DeployedGateway): DeliverRequest[] {
  const refusals = entry.refusals.filter((r) => r.route !== undefined);
  const json = JSON.stringify(refusals);
  if (json === entry.sentRefusals) return [];
  entry.sentRefusals = json;
  const message: Omit<RoutesRefusedByDataPlane, 'meta'> = {
    type: 'data-plane.routes-refused',
    gateway: entry.key,
    refusals,
  };
  return [deliverTo(REFERENCE_VALIDATOR, message)];
}

/**
 * Attached routes as the spec counts them, less the routes the data plane dropped whole (their parent entry says
 * Accepted False): a listener counts the routes it serves.
 */
function withoutDroppedRoutes(entry: DeployedGateway): ReadonlyMap<string, number> {
  // Route id → the rules dropped (undefined: the whole route).
  const dropped = new Map<string, Set<number | undefined>>();
  for (const refusal of entry.refusals) {
    if (refusal.severity !== 'dropped' || refusal.route === undefined) continue;
    const id = formatResourceKey(refusal.route);
    dropped.set(id, (dropped.get(id) ?? new Set()).add(refusal.rule));
  }
  if (dropped.size === 0 || entry.ir === undefined) return entry.attachedRoutes;
  const notServed = (route: RouteIR) => {
    const rules = dropped.get(formatResourceKey(route.route));
    return rules !== undefined && (rules.has(undefined) || route.rules.every((r) => rules.has(r.index)));
  };
  const counts = new Map(entry.attachedRoutes);
  for (const port of entry.ir.ports) {
    for (const listener of port.listeners) {
      const id = listenerId(listener.owner, listener.name);
      const gone = listener.routes.filter(notServed).length;
      if (gone > 0 && counts.has(id)) counts.set(id, Math.max(0, (counts.get(id) ?? 0) - gone));
    }
  }
  return counts;
}

/** What the data plane refused of single listeners, for their Programmed conditions. */
function listenerRefusals(entry: DeployedGateway): Pick<GatewayStatusOptions, 'listenerRefusals'> {
  const byListener = new Map<string, ListenerRefusal>();
  for (const refusal of entry.refusals) {
    if (refusal.listener === undefined) continue;
    const id = listenerId(refusal.listener.owner, refusal.listener.name);
    const earlier = byListener.get(id);
    const dropped = refusal.severity === 'dropped' || earlier?.dropped === true;
    const text = `${refusal.severity === 'dropped' ? 'The data plane refused this listener' : 'The data plane warned about this listener'}: ${refusal.message}`;
    byListener.set(id, { dropped, message: earlier === undefined ? text : `${earlier.message}; ${text}` });
  }
  return byListener.size === 0 ? {} : { listenerRefusals: byListener };
}

/**
 * Cluster mode: asks the provisioner for the Gateway's data plane (or its removal), and reads the Gateway's
 * addresses from the provisioned Service. Programmed=True needs both an address and the data plane's ACK.
 */
function provision(
  context: GatewayDeployerContext,
  provisioning: NonNullable<GatewayDeployerInput['provisioning']>,
  entry: DeployedGateway,
  gateway: Gateway,
  accepted: boolean,
  out: DeliverRequest[],
): { programmed: ProgrammedState; addresses: GatewaySpecAddress[] } {
  const unwanted = (programmed: ProgrammedState) => {
    if (entry.provisioned !== undefined) {
      entry.provisioned = undefined;
      const message: Omit<DataPlaneUnwanted, 'meta'> = { type: 'data-plane.unwanted', gateway: entry.key };
      out.push(deliverTo(provisioning.provisioner, message));
    }
    return { programmed, addresses: [] };
  };
  const ir = entry.ir;
  if (!accepted || ir === undefined) return unwanted(entry.programmed);
  const settings = provisioning.backends[ir.parameters.backend];
  if (settings === undefined) {
    return unwanted({
      status: 'False',
      reason: GatewayReason.NoResources,
      message: `No data plane provisioned: this controller has no template for the ${ir.parameters.backend} backend (deploy its proxies yourself and run the controller with --provision false)`,
    });
  }
  const desired = desiredDataPlane(gateway, ir, settings, context.controllerName);
  if (!desired.ok) {
    return unwanted({
      status: 'False',
      reason: GatewayReason.NoResources,
      message: `No data plane provisioned: ${desired.message}`,
    });
  }
  const json = JSON.stringify(desired.objects);
  if (json !== entry.provisioned) {
    entry.provisioned = json;
    const message: Omit<DataPlaneDesired, 'meta'> = {
      type: 'data-plane.desired',
      gateway: entry.key,
      objects: desired.objects,
    };
    out.push(deliverTo(provisioning.provisioner, message));
  }
  const serviceName = provisionedName(entry.key.name);
  const service = context.view.get('Service', entry.key.namespace, serviceName);
  const addresses = serviceAddresses(service);
  if (entry.programmed.status === 'False' || addresses.length > 0) {
    return { programmed: entry.programmed, addresses };
  }
  const loadBalancer = ir.parameters.dataPlane.serviceType === 'LoadBalancer';
  return {
    programmed: {
      status: 'False',
      reason: GatewayReason.AddressNotAssigned,
      message: `No address assigned to Service ${entry.key.namespace}/${serviceName} yet${loadBalancer ? ' (a LoadBalancer Service gets one from the cluster’s load-balancer controller)' : ''}`,
    },
    addresses,
  };
}

/**
 * A Gateway that still exists but is no longer ours (its GatewayClass went, or it moved to another controller's
 * class) keeps nothing we wrote, on it and on its ListenerSets. The new controller, if any, writes its own.
 */
const WITHDRAWN = WITHDRAWN_STATUS;

function withdrawnStatuses(context: GatewayDeployerContext, entry: DeployedGateway): DeliverRequest[] {
  const out: DeliverRequest[] = [];
  if (context.view.get('Gateway', entry.key.namespace, entry.key.name) !== undefined) {
    out.push(
      deliverTo(patcherName('Gateway'), { type: 'status.desired', key: entry.key, status: WITHDRAWN }),
    );
  }
  for (const set of entry.listeners.listenerSets) {
    if (context.view.get('ListenerSet', set.key.namespace, set.key.name) === undefined) continue;
    out.push(
      deliverTo(patcherName('ListenerSet'), { type: 'status.desired', key: set.key, status: WITHDRAWN }),
    );
  }
  return out;
}

/** PEM of every certificate the IR's listeners and backend client certificate reference, read from the Secrets. */
function tlsMaterial(view: ResourceView, ir: GatewayIR): Record<string, TlsMaterial> {
  const material: Record<string, TlsMaterial> = {};
  const clientCertificate =
    ir.backendClientCertificate !== undefined && 'secret' in ir.backendClientCertificate
      ? [ir.backendClientCertificate.secret]
      : [];
  const listenerCertificates = ir.ports.flatMap((port) =>
    port.listeners.flatMap((listener) => listener.tls?.certificates ?? []),
  );
  for (const key of [...listenerCertificates, ...clientCertificate]) {
    if (key.kind !== 'Secret') continue;
    const secret = view.get('Secret', key.namespace, key.name);
    const certificateChain = decode(secret?.data?.['tls.crt']) ?? secret?.stringData?.['tls.crt'];
    const privateKey = decode(secret?.data?.['tls.key']) ?? secret?.stringData?.['tls.key'];
    if (certificateChain !== undefined && privateKey !== undefined) {
      material[formatResourceKey(key)] = { certificateChain, privateKey };
    }
  }
  return material;
}

function decode(base64: string | undefined): string | undefined {
  return base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('utf8');
}
