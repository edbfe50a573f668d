// A replay session: a fresh control plane built as the recording describes, on a virtual clock with sequential
// ids and fake edges, with the runtime's Replayer feeding it the log; and what a plane holds at the end.

import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import { PATCHED_KINDS } from '../actors/patchers/index.ts';
import type { AgentgatewayResources } from '../backends/agentgateway/index.ts';
import type { EnvoyResources } from '../backends/envoy/index.ts';
import { type ControlPlane, type ControlPlaneOptions, createControlPlane } from '../cli/control-plane.ts';
import { DEFAULT_CONTROLLER_NAME } from '../model/gateway-api/gateway-class.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { formatResourceKey } from '../model/resources/resource-key.ts';
import { redactShown, SECRET_KINDS, secretValuesOf } from '../model/shared/secret-fields.ts';
import type { EventLog } from '../runtime/EventLog.ts';
import { sequentialIds } from '../runtime/ids.ts';
import { createLogger } from '../runtime/logger.ts';
import { Replayer } from '../runtime/Replayer.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import type { ApiResource } from '../sources/kubernetes/client.ts';
import type { RecordedComposition, RecordedKubernetes } from './composition.ts';
import {
  DATA_PLANE_TEMPLATES,
  NO_API_SERVER,
  NO_LOCAL_PROXIES,
  REPLAY_RUNS_PORTS,
  replayBackends,
  type SnapshotPort,
  type SnapshotStore,
} from './fake-edges.ts';

export interface ReplaySession {
  readonly plane: ControlPlane;
  readonly clock: VirtualClock;
  readonly replayer: Replayer;
  /** What the fake ADS edges hold: the last snapshot published per Gateway, by backend. */
  readonly snapshots: SnapshotStore;
}

/** A fresh control plane, built as the recording describes, with a replayer attached (not started). */
export function createReplay(log: EventLog): ReplaySession {
  const composition = log.header.composition as Partial<RecordedComposition>;
  if (composition.kind !== 'control-plane')
    throw new Error(
      `the log records a "${String(composition.kind)}" composition; replay knows "control-plane"`,
    );
  const clock = new VirtualClock(log.header.start);
  const { backends, snapshots } = replayBackends(composition.backends);
  const common: ControlPlaneOptions = {
    clock,
    ids: sequentialIds(),
    logger: createLogger({ level: 'silent' }),
    controllerName: composition.controllerName ?? DEFAULT_CONTROLLER_NAME,
    flushDelayMs: composition.flushDelayMs ?? 0,
    ...(Object.keys(backends).length === 0 ? {} : { backends }),
  };
  const plane = createControlPlane(
    composition.mode === 'kubernetes'
      ? { ...common, kubernetes: replayedKubernetes(composition.kubernetes) }
      : {
          ...common,
          files: { paths: [], watch: composition.files?.watch ?? true },
          ...(composition.localDataPlane === true ? { localDataPlane: NO_LOCAL_PROXIES } : {}),
        },
  );
  const replayer = new Replayer({ log, system: plane.system, clock, runPorts: REPLAY_RUNS_PORTS });
  return { plane, clock, replayer, snapshots };
}

/** Kubernetes mode as recorded: the kinds served then, no API server, statuses kept in the plane's store. */
function replayedKubernetes(
  recorded: RecordedKubernetes | undefined,
): NonNullable<ControlPlaneOptions['kubernetes']> {
  if (recorded === undefined) throw new Error('the log records Kubernetes mode without its resources');
  const resources = new Map<KindName, ApiResource | undefined>(
    Object.entries(recorded.resources).map(([kind, resource]) => [kind as KindName, resource ?? undefined]),
  );
  const provisioning =
    recorded.provisioning === undefined ? undefined : replayedProvisioning(recorded.provisioning);
  return {
    client: NO_API_SERVER,
    resources,
    ...(recorded.watch === undefined ? {} : { watch: recorded.watch }),
    ...(provisioning === undefined ? {} : { provisioning }),
    // The fake API server: statuses go to the plane's status store. What the plane shows of them is what the
    // recorded watches delivered, as in the live run.
    statusWriter: (statuses) => async (write) => {
      statuses.set(write.key, write.status);
      return { written: true };
    },
  };
}

/** Provisioning settings per backend from what a recording stores: the image and xDS address. */
function replayedProvisioning(
  recorded: NonNullable<RecordedKubernetes['provisioning']>,
): Record<string, ProvisioningSettings> {
  return Object.fromEntries(
    Object.entries(recorded).map(([backend, settings]) => {
      const template = DATA_PLANE_TEMPLATES[backend];
      if (template === undefined) {
        const known = Object.keys(DATA_PLANE_TEMPLATES).map((name) => `"${name}"`);
        throw new Error(`the log provisions the "${backend}" backend; replay knows ${known.join(', ')}`);
      }
      return [backend, { template: template({ image: settings.image }), xdsAddress: settings.xdsAddress }];
    }),
  );
}

export interface ReplayResult {
  /** Objects of the kinds Switchyard writes status to, by kind, namespace and name, with their statuses. */
  readonly objects: readonly Record<string, unknown>[];
  readonly irs: readonly GatewayIR[];
  /**
   * The last xDS snapshot published per Gateway (`namespace/name`), by backend, secrets redacted; empty
   * when the composition has no data-plane backend.
   */
  readonly xds: {
    readonly envoy: Readonly<Record<string, EnvoyResources>>;
    readonly agentgateway: Readonly<Record<string, AgentgatewayResources>>;
  };
  readonly problems: readonly { origin: string; message: string }[];
  readonly divergences: readonly string[];
  /** The last sequence number applied. */
  readonly position: number;
}

/** Replays `log` up to `until` (default: the end) and reports what the plane holds then. */
export async function replay(log: EventLog, until?: number): Promise<ReplayResult> {
  const session = createReplay(log);
  await session.replayer.runUntil(until);
  const result = planeOutcome(
    session.plane,
    session.replayer.position,
    session.replayer.divergences,
    session.snapshots,
  );
  await session.replayer.stop();
  session.plane.close();
  return result;
}

/** What a plane holds now: after a replay, or at the end of the live run that was recorded. */
export function planeOutcome(
  plane: ControlPlane,
  position: number,
  divergences: readonly string[] = [],
  snapshots: SnapshotStore = {},
): ReplayResult {
  const objects = PATCHED_KINDS.flatMap((kind) =>
    plane.store.list(kind as KindName).map((object) => object as unknown as Record<string, unknown>),
  );
  // Shown as translate shows them: without secret values (model/shared/secret-fields.ts).
  const secrets = secretValuesOf(SECRET_KINDS.flatMap((kind) => plane.store.list(kind as KindName)));
  const shown = <T>(value: T) => redactShown(value, secrets) as T;
  return {
    objects: objects.map(shown),
    irs: gatewayIRs(plane).map(shown),
    xds: {
      envoy: shown(snapshotsOf(snapshots.envoy)),
      agentgateway: shown(snapshotsOf(snapshots.agentgateway)),
    },
    problems: [...plane.problems],
    divergences: [...divergences],
    position,
  };
}

/** A port's snapshots sorted by Gateway (translate's format). */
function snapshotsOf<R>(port: SnapshotPort<R> | undefined): Record<string, R> {
  const entries = [...(port?.snapshots ?? [])].sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries);
}

export function gatewayIRs(plane: ControlPlane): GatewayIR[] {
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as
    | { gateways: Map<string, DeployedGateway> }
    | undefined;
  return [...(deployer?.gateways.values() ?? [])]
    .map((entry) => entry.ir)
    .filter((ir): ir is GatewayIR => ir !== undefined)
    .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
}
