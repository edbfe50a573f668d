// Record and replay of the control plane (docs/record-replay.md): `attachRecorder` for `controller --record`,
// `replay` / `switchyard replay` to run a recorded log again on a virtual clock with fake edges.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import { PATCHED_KINDS } from '../actors/patchers/index.ts';
import { agentgatewayDataPlaneTemplate } from '../backends/agentgateway/data-plane-template.ts';
import { type AgentgatewayResources, agentgatewayBackendSpec } from '../backends/agentgateway/index.ts';
import { envoyDataPlaneTemplate } from '../backends/envoy/data-plane-template.ts';
import {
  type EnvoyResources,
  envoyBackendSpec,
  type TranslateOptions,
  type XdsPort,
} from '../backends/envoy/index.ts';
import type { XdsPortOf } from '../backends/shared/backend-machine.ts';
import { startInspector } from '../inspector/InspectorServer.ts';
import type { ReplayControls, ReplayRecordSummary, ReplayState } from '../inspector/ReplayControls.ts';
import { DEFAULT_CONTROLLER_NAME } from '../model/gateway-api/gateway-class.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { GROUP_OF_KIND } from '../model/resources/kinds.ts';
import type { ResourceKey } from '../model/resources/resource-key.ts';
import { formatResourceKey } from '../model/resources/resource-key.ts';
import type { ActorSpec } from '../runtime/Actor.ts';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import { type EventLog, parseEventLog, readEventLog } from '../runtime/EventLog.ts';
import { sequentialIds } from '../runtime/ids.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Message } from '../runtime/message.ts';
import { Recorder } from '../runtime/Recorder.ts';
import { Replayer } from '../runtime/Replayer.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import type { ApiResource, KubeClient } from '../sources/kubernetes/client.ts';
import type { WatchSettings } from '../sources/kubernetes/ports.ts';
import type { Command, CommandIO } from './command.ts';
import { type ControlPlane, createControlPlane } from './control-plane.ts';
import type { LocalEnvoyPorts } from './local-envoy.ts';
import { REDACTED_KEY } from './translate.ts';

/**
 * What a control-plane recording stores in its header so replay builds the same composition: the source (files,
 * or the Kubernetes API server as discovered then), and the actors that exist only with some settings (data-plane
 * backends, provisioning, local proxies).
 */
export interface RecordedComposition {
  readonly kind: 'control-plane';
  /** Absent in logs recorded before Kubernetes mode could be recorded: `files`. */
  readonly mode?: 'files' | 'kubernetes';
  readonly controllerName: string;
  readonly flushDelayMs: number;
  /** Files mode. */
  readonly files?: { readonly watch: boolean };
  /** Kubernetes mode. */
  readonly kubernetes?: RecordedKubernetes;
  /** Data-plane backends the plane ran, by name (absent: none), with their translation options. */
  readonly backends?: RecordedBackends;
  /** Files mode with `--local-envoy`: the local data plane actor existed. */
  readonly localDataPlane?: boolean;
}

export interface RecordedKubernetes {
  /** Where each kind was served when the controller started (null: not served). */
  readonly resources: Readonly<Record<string, ApiResource | null>>;
  readonly watch?: WatchSettings;
  /** Data-plane provisioning per backend (the provisioner actor exists when this is present). */
  readonly provisioning?: Readonly<Record<string, { readonly image: string; readonly xdsAddress: string }>>;
  /** Writes waited for leadership (informational: the outcome is in each write's recorded result). */
  readonly leaderElection?: boolean;
}

export interface RecordedBackends {
  readonly envoy?: { readonly name: string; readonly translate?: TranslateOptions };
  readonly agentgateway?: { readonly name: string };
}

export const DEFAULT_RECORD_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Effects whose port still runs on replay: they are the fake edges that keep what replay reports (the status
 * store standing in for the API server, the problem list, the xDS snapshots standing in for the ADS server).
 * Every other port — reading files, listing and watching the API server, provisioning — is answered from the
 * log only.
 */
export const REPLAY_RUNS_PORTS = [
  'write-status',
  'report-problem',
  'report-rejection',
  'xds.publish',
  'xds.withdraw',
] as const;

export interface AttachRecorderOptions {
  readonly file: string;
  /** Size cap of one log segment; at the cap the log rotates (file → file.1 …). */
  readonly maxBytes?: number;
  /** Rotated segments kept besides the current one. */
  readonly keep?: number;
  /** How the recorded plane was built (default: the standalone controller's settings). */
  readonly composition?: CompositionSettings;
}

/** The settings `recordedComposition` turns into a header's composition. */
export interface CompositionSettings {
  readonly controllerName?: string;
  readonly flushDelayMs?: number;
  readonly files?: { readonly watch: boolean };
  readonly kubernetes?: {
    readonly resources: ReadonlyMap<KindName, ApiResource | undefined>;
    readonly watch?: WatchSettings;
    readonly provisioning?: Readonly<Record<string, ProvisioningSettings>>;
    readonly leaderElection?: boolean;
  };
  readonly backends?: RecordedBackends;
  readonly localDataPlane?: boolean;
}

/** The composition a header records: Kubernetes mode when `kubernetes` is given, else files mode. */
export function recordedComposition(settings: CompositionSettings = {}): RecordedComposition {
  const common = {
    kind: 'control-plane' as const,
    controllerName: settings.controllerName ?? DEFAULT_CONTROLLER_NAME,
    flushDelayMs: settings.flushDelayMs ?? 20,
    ...(settings.backends === undefined ? {} : { backends: settings.backends }),
  };
  const kubernetes = settings.kubernetes;
  if (kubernetes === undefined)
    return {
      ...common,
      mode: 'files',
      files: { watch: settings.files?.watch ?? true },
      ...(settings.localDataPlane === true ? { localDataPlane: true } : {}),
    };
  const resources: Record<string, ApiResource | null> = {};
  for (const [kind, resource] of [...kubernetes.resources].sort(([a], [b]) => a.localeCompare(b)))
    resources[kind] = resource ?? null;
  const provisioning =
    kubernetes.provisioning === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(kubernetes.provisioning).map(([backend, settings]) => [
            backend,
            { image: settings.template.image, xdsAddress: settings.xdsAddress },
          ]),
        );
  return {
    ...common,
    mode: 'kubernetes',
    kubernetes: {
      resources,
      ...(kubernetes.watch === undefined ? {} : { watch: kubernetes.watch }),
      ...(provisioning === undefined ? {} : { provisioning }),
      ...(kubernetes.leaderElection === true ? { leaderElection: true } : {}),
    },
  };
}

/**
 * Records every outside input of `system` to a JSONL event log. Call it right after `createControlPlane` and
 * before `system.start()`; close the returned recorder after `system.stop()`.
 */
export function attachRecorder(system: ActorSystem, options: AttachRecorderOptions): Recorder {
  const recorder = new Recorder({
    clock: system.clock,
    composition: recordedComposition(options.composition) as unknown as Record<string, unknown>,
    file: {
      path: options.file,
      maxBytes: options.maxBytes ?? DEFAULT_RECORD_MAX_BYTES,
      ...(options.keep === undefined ? {} : { keep: options.keep }),
    },
  });
  system.attachInputs(recorder);
  return recorder;
}

export interface ReplaySession {
  readonly plane: ControlPlane;
  readonly clock: VirtualClock;
  readonly replayer: Replayer;
  /** What the fake ADS edges hold: the last snapshot published per Gateway, by backend. */
  readonly snapshots: SnapshotStore;
}

/**
 * The fake ADS edge of a data-plane backend on replay (and the tee of a live recording): keeps the last
 * snapshot published for each Gateway, and drops it when the Gateway is withdrawn. No proxy connects to it;
 * proxy reports come from the log.
 */
export class SnapshotPort<R> implements XdsPortOf<string, R> {
  readonly snapshots = new Map<string, R>();

  publish(gateway: ResourceKey, _revision: number, resources: R): void {
    this.snapshots.set(`${gateway.namespace}/${gateway.name}`, resources);
  }

  withdraw(gateway: ResourceKey): void {
    this.snapshots.delete(`${gateway.namespace}/${gateway.name}`);
  }

  onReport(): () => void {
    return () => {};
  }
}

export interface SnapshotStore {
  readonly envoy?: SnapshotPort<EnvoyResources>;
  readonly agentgateway?: SnapshotPort<AgentgatewayResources>;
}

/** The backend actor specs a composition records, their ADS edges replaced by snapshot ports. */
export function replayBackends(recorded: RecordedBackends | undefined): {
  backends: Record<string, ActorSpec<Message>>;
  snapshots: SnapshotStore;
} {
  const backends: Record<string, ActorSpec<Message>> = {};
  const snapshots: {
    envoy?: SnapshotPort<EnvoyResources>;
    agentgateway?: SnapshotPort<AgentgatewayResources>;
  } = {};
  if (recorded?.envoy !== undefined) {
    const xds = new SnapshotPort<EnvoyResources>();
    snapshots.envoy = xds;
    backends.envoy = envoyBackendSpec({
      name: recorded.envoy.name,
      deployer: GATEWAY_DEPLOYER,
      xds: xds as XdsPort,
      ...(recorded.envoy.translate === undefined ? {} : { translate: recorded.envoy.translate }),
    }) as unknown as ActorSpec<Message>;
  }
  if (recorded?.agentgateway !== undefined) {
    const xds = new SnapshotPort<AgentgatewayResources>();
    snapshots.agentgateway = xds;
    backends.agentgateway = agentgatewayBackendSpec({
      name: recorded.agentgateway.name,
      deployer: GATEWAY_DEPLOYER,
      xds: xds as unknown as Parameters<typeof agentgatewayBackendSpec>[0]['xds'],
    }) as unknown as ActorSpec<Message>;
  }
  return { backends, snapshots };
}

/** Replay has no API server: any use of the client is a bug in the composition, named as such. */
const NO_API_SERVER = new Proxy(
  {},
  {
    get: (_target, property) =>
      property === 'then'
        ? undefined
        : () => {
            throw new Error(`replay has no API server: the client's ${String(property)} was called`);
          },
  },
) as unknown as KubeClient;

/** Replay never starts a local proxy: start-proxy/stop-proxy outcomes come from the log. */
const NO_LOCAL_PROXIES: LocalEnvoyPorts = {
  'start-proxy': () => {
    throw new Error('replay starts no proxy');
  },
  'stop-proxy': () => {
    throw new Error('replay stops no proxy');
  },
  close: () => {},
} as unknown as LocalEnvoyPorts;

/** The data-plane templates provisioning uses, by backend: a recording stores only their image. */
const DATA_PLANE_TEMPLATES: Readonly<
  Record<string, (options: { readonly image?: string }) => ProvisioningSettings['template']>
> = {
  envoy: envoyDataPlaneTemplate,
  agentgateway: agentgatewayDataPlaneTemplate,
};

/** A fresh control plane, built as the recording describes, with a replayer attached (not started). */
export function createReplay(log: EventLog): ReplaySession {
  const composition = log.header.composition as Partial<RecordedComposition>;
  if (composition.kind !== 'control-plane')
    throw new Error(
      `the log records a "${String(composition.kind)}" composition; replay knows "control-plane"`,
    );
  const clock = new VirtualClock(log.header.start);
  const { backends, snapshots } = replayBackends(composition.backends);
  const common = {
    clock,
    ids: sequentialIds(),
    logger: createLogger({ level: 'silent' }),
    controllerName: composition.controllerName ?? DEFAULT_CONTROLLER_NAME,
    flushDelayMs: composition.flushDelayMs ?? 0,
    ...(Object.keys(backends).length === 0 ? {} : { backends }),
  };
  let plane: ControlPlane;
  if (composition.mode === 'kubernetes') {
    const recorded = composition.kubernetes;
    if (recorded === undefined) throw new Error('the log records Kubernetes mode without its resources');
    const resources = new Map<KindName, ApiResource | undefined>(
      Object.entries(recorded.resources).map(([kind, resource]) => [kind as KindName, resource ?? undefined]),
    );
    const provisioning =
      recorded.provisioning === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(recorded.provisioning).map(([backend, settings]) => {
              const template = DATA_PLANE_TEMPLATES[backend];
              if (template === undefined)
                throw new Error(
                  `the log provisions the "${backend}" backend; replay knows ${Object.keys(
                    DATA_PLANE_TEMPLATES,
                  )
                    .map((name) => `"${name}"`)
                    .join(', ')}`,
                );
              return [
                backend,
                { template: template({ image: settings.image }), xdsAddress: settings.xdsAddress },
              ];
            }),
          );
    plane = createControlPlane({
      ...common,
      kubernetes: {
        client: NO_API_SERVER,
        resources,
        ...(recorded.watch === undefined ? {} : { watch: recorded.watch }),
        ...(provisioning === undefined ? {} : { provisioning }),
        // The fake API server: statuses go to the plane's status store. What the plane shows of them is what
        // the recorded watches delivered, as in the live run.
        statusWriter: (statuses) => async (write) => {
          statuses.set(write.key, write.status);
          return { written: true };
        },
      },
    });
  } else {
    plane = createControlPlane({
      ...common,
      files: { paths: [], watch: composition.files?.watch ?? true },
      ...(composition.localDataPlane === true ? { localDataPlane: NO_LOCAL_PROXIES } : {}),
    });
  }
  const replayer = new Replayer({ log, system: plane.system, clock, runPorts: REPLAY_RUNS_PORTS });
  return { plane, clock, replayer, snapshots };
}

export interface ReplayResult {
  /** Objects of the kinds Switchyard writes status to, by kind, namespace and name, with their statuses. */
  readonly objects: readonly Record<string, unknown>[];
  readonly irs: readonly GatewayIR[];
  /**
   * The last xDS snapshot published per Gateway (`namespace/name`), by backend, private keys redacted; empty
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
  return {
    objects,
    irs: gatewayIRs(plane),
    xds: {
      envoy: snapshotsOf(snapshots.envoy),
      agentgateway: snapshotsOf(snapshots.agentgateway),
    },
    problems: [...plane.problems],
    divergences: [...divergences],
    position,
  };
}

/** A port's snapshots sorted by Gateway, as plain data with private keys redacted (translate's format). */
function snapshotsOf<R>(port: SnapshotPort<R> | undefined): Record<string, R> {
  const entries = [...(port?.snapshots ?? [])].sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries.map(([gateway, resources]) => [gateway, redactKeys(resources) as R]));
}

/** A deep copy with every private key (a `privateKey` field, inline or not) replaced by translate's marker. */
export function redactKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactKeys);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    if (/^private_?key$/i.test(field))
      copy[field] =
        inner !== null && typeof inner === 'object' && 'inlineString' in inner
          ? { inlineString: REDACTED_KEY }
          : REDACTED_KEY;
    else copy[field] = redactKeys(inner);
  }
  return copy;
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

/**
 * The replay output in translate's formats: the statuses, the Gateway IR as `GatewayIR` documents, and the xDS
 * snapshots as `EnvoyResources` / `AgentgatewayResources` documents.
 */
export function renderReplay(
  result: ReplayResult,
  show: 'status' | 'ir' | 'xds' | 'all',
  output: 'yaml' | 'json',
): string {
  const documents: unknown[] = [];
  if (show === 'status' || show === 'all') documents.push(...result.objects);
  if (show === 'ir' || show === 'all')
    documents.push(
      ...result.irs.map((ir) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'GatewayIR', ir })),
    );
  if (show === 'xds' || show === 'all') {
    for (const [gateway, resources] of Object.entries(result.xds.envoy))
      documents.push({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'EnvoyResources', gateway, resources });
    for (const [gateway, resources] of Object.entries(result.xds.agentgateway))
      documents.push({
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'AgentgatewayResources',
        gateway,
        resources,
      });
  }
  if (output === 'json') return `${JSON.stringify(documents, null, 2)}\n`;
  return documents
    .map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

type Show = 'status' | 'ir' | 'xds' | 'all';

/**
 * Why a replay has nothing to show for `show` (undefined when it has something): a replay that prints nothing
 * must not look like success.
 */
function nothingToShow(log: EventLog, result: ReplayResult, show: Show): string | undefined {
  const documents = {
    status: result.objects.length,
    ir: result.irs.length,
    xds: Object.keys(result.xds.envoy).length + Object.keys(result.xds.agentgateway).length,
  };
  const count = show === 'all' ? documents.status + documents.ir + documents.xds : documents[show];
  if (count > 0) return undefined;
  const first = log.records[0]?.seq;
  if (first === undefined) return 'the log holds no records, only its header';
  if (result.position === 0) return `--until stops before the first record (seq ${first})`;
  const at = `after seq ${result.position} of ${log.records.at(-1)?.seq}`;
  const composition = log.header.composition as Partial<RecordedComposition>;
  if (show === 'xds' && composition.backends === undefined)
    return `the recorded plane had no data-plane backend, so no xDS was published; try --show status or ir`;
  const what = {
    status: 'no object with a status',
    ir: 'no Gateway IR',
    xds: 'no xDS snapshot',
    all: 'nothing',
  };
  return `${at} the plane holds ${what[show]}`;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run a recorded event log again on a virtual clock and print the statuses it leads to',
  usage:
    'switchyard replay <file.jsonl> [--until <seq>] [--out <dir>] [-o yaml|json] [--show status|ir|xds|all] [--inspect]',
  options: {
    until: {
      kind: 'integer',
      min: 0,
      valueLabel: '<seq>',
      description: 'stop after the record with this sequence number (default: the end of the log)',
    },
    out: {
      kind: 'string',
      valueLabel: '<dir>',
      description: 'write status.yaml, ir.yaml and xds.yaml into this directory instead of printing',
    },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
    show: {
      kind: 'enum',
      values: ['status', 'ir', 'xds', 'all'],
      default: 'status',
      description:
        'what to print: the statuses, the Gateway IR, the xDS snapshot per Gateway (when the recorded plane had a data-plane backend), or all',
    },
    inspect: {
      kind: 'boolean',
      description: 'serve the inspector with replay controls (step, play, scrub) until interrupted',
    },
    'inspector-address': {
      kind: 'address',
      default: '127.0.0.1:9901',
      valueLabel: '<host:port>',
      description: 'with --inspect: where the inspector listens (loopback only)',
    },
  },
  async run(parsed, io) {
    const file = parsed.positionals[0];
    if (file === undefined || parsed.positionals.length > 1) {
      io.stderr.write('switchyard replay: give exactly one event log: switchyard replay <file.jsonl>\n');
      return 2;
    }
    let log: EventLog;
    try {
      log = readEventLog(file);
    } catch (error) {
      io.stderr.write(`switchyard replay: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const until = parsed.values.until as number | undefined;
    if (parsed.values.inspect === true)
      return inspectReplay(log, until, parsed.values['inspector-address'] as string, io);
    const result = await replay(log, until);
    for (const divergence of result.divergences) io.stderr.write(`replay diverged at ${divergence}\n`);
    for (const problem of result.problems) {
      const where = problem.message.startsWith(problem.origin) ? '' : `${problem.origin}: `;
      io.stderr.write(`${where}${problem.message}\n`);
    }
    const output = parsed.values.output as 'yaml' | 'json';
    const out = parsed.values.out as string | undefined;
    const show = out === undefined ? (parsed.values.show as Show) : 'all';
    const empty = nothingToShow(log, result, show);
    if (empty !== undefined) {
      io.stderr.write(`switchyard replay: nothing to show: ${empty}\n`);
      return 1;
    }
    if (out === undefined) {
      io.stdout.write(renderReplay(result, show, output));
    } else {
      const extension = output === 'json' ? 'json' : 'yaml';
      await mkdir(out, { recursive: true });
      await writeFile(join(out, `status.${extension}`), renderReplay(result, 'status', output));
      await writeFile(join(out, `ir.${extension}`), renderReplay(result, 'ir', output));
      await writeFile(join(out, `xds.${extension}`), renderReplay(result, 'xds', output));
      io.stderr.write(`replayed ${result.position} of ${log.records.at(-1)?.seq ?? 0} records into ${out}\n`);
    }
    return result.divergences.length === 0 ? 0 : 1;
  },
};

async function inspectReplay(
  log: EventLog,
  until: number | undefined,
  address: string,
  io: CommandIO,
): Promise<number> {
  const driver = new ReplayDriver();
  const inspector = await startInspector({ ...inspectDriver(driver), address });
  await driver.open(log, 'recorded log');
  if (until !== undefined) await driver.seek(until);
  io.stderr.write(
    `inspector on ${inspector.url} (replay at seq ${driver.state().position}); Ctrl-C to stop\n`,
  );
  await io.stopRequested;
  driver.pause();
  await inspector.close();
  await driver.close();
  return 0;
}

/** What the inspector reads from a control plane: its objects, its Gateways' IR and programmed state, problems. */
export function inspectPlane(plane: () => ControlPlane | undefined) {
  return {
    resources: () => {
      const current = plane();
      if (current === undefined) return [];
      return (Object.keys(GROUP_OF_KIND) as KindName[]).flatMap((kind) => current.store.list(kind));
    },
    gateways: () => {
      const current = plane();
      const deployer = current?.system.actor(GATEWAY_DEPLOYER)?.context as
        | { gateways: Map<string, DeployedGateway> }
        | undefined;
      return [...(deployer?.gateways.values() ?? [])]
        .map((entry) => ({
          gateway: entry.key,
          backend: entry.backendActor,
          revision: entry.revision,
          programmed: entry.programmed,
          proxies: entry.proxies,
          ir: entry.ir,
        }))
        .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
    },
    problems: () => plane()?.problems ?? [],
  };
}

/** Inspector options for a replay driver: the current replayed plane, and the driver as replay controls. */
export function inspectDriver(driver: ReplayDriver) {
  return { system: () => driver.system, ...inspectPlane(() => driver.plane), replay: driver };
}

/**
 * Drives replays for the inspector: load a log, step, play (one record per `stepDelayMs` of real time), pause,
 * and scrub — backwards by rebuilding a fresh system and replaying up to the chosen record.
 */
export class ReplayDriver implements ReplayControls {
  private log: EventLog | undefined;
  private name: string | undefined;
  private session: ReplaySession | undefined;
  /** Shown until a log is loaded: a system with no actors. */
  private readonly idle = new ActorSystem();
  private readonly listeners: ((system: ActorSystem) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private playing = false;
  private readonly stepDelayMs: number;

  constructor(options: { readonly stepDelayMs?: number } = {}) {
    this.stepDelayMs = options.stepDelayMs ?? 150;
  }

  get system(): ActorSystem {
    return this.session?.plane.system ?? this.idle;
  }

  get plane(): ControlPlane | undefined {
    return this.session?.plane;
  }

  onSystem(listener: (system: ActorSystem) => void): void {
    this.listeners.push(listener);
  }

  state(): ReplayState {
    const replayer = this.session?.replayer;
    return {
      loaded: this.log !== undefined,
      name: this.name,
      position: replayer?.position ?? 0,
      end: this.log?.records.at(-1)?.seq ?? 0,
      playing: this.playing,
      time: this.session?.clock.now() ?? 0,
      divergences: [...(replayer?.divergences ?? [])],
    };
  }

  records(from: number, limit: number): ReplayRecordSummary[] {
    const records = this.log?.records ?? [];
    return records
      .filter((record) => record.seq >= from)
      .slice(0, Math.max(0, limit))
      .map((record) => {
        if (record.kind === 'send')
          return {
            seq: record.seq,
            time: record.time,
            kind: record.kind,
            actor: record.to,
            what: record.message.type,
          };
        if (record.kind === 'timer')
          return {
            seq: record.seq,
            time: record.time,
            kind: record.kind,
            actor: record.actor,
            what: `timer #${record.timer}`,
          };
        return {
          seq: record.seq,
          time: record.time,
          kind: record.kind,
          actor: record.actor,
          what: record.effect,
          outcome: record.outcome,
        };
      });
  }

  load(text: string, name: string): Promise<void> {
    return this.open(parseEventLog(text, name), name);
  }

  open(log: EventLog, name: string): Promise<void> {
    return this.serialize(async () => {
      this.playing = false;
      this.log = log;
      this.name = name;
      await this.rebuild();
    });
  }

  step(): Promise<void> {
    return this.serialize(async () => {
      await this.session?.replayer.step();
    });
  }

  seek(seq: number): Promise<void> {
    return this.serialize(async () => {
      if (this.session === undefined) throw new Error('no log loaded');
      if (seq < this.session.replayer.position) await this.rebuild();
      await this.session!.replayer.runUntil(seq);
    });
  }

  play(): void {
    if (this.playing || this.session === undefined) return;
    this.playing = true;
    const next = () => {
      if (!this.playing) return;
      this.step().then(
        () => {
          if (this.session === undefined || this.session.replayer.done) this.playing = false;
          else setTimeout(next, this.stepDelayMs).unref();
        },
        () => {
          this.playing = false;
        },
      );
    };
    next();
  }

  pause(): void {
    this.playing = false;
  }

  async close(): Promise<void> {
    this.playing = false;
    await this.queue;
    await this.dispose();
  }

  private async rebuild(): Promise<void> {
    await this.dispose();
    if (this.log === undefined) return;
    const session = createReplay(this.log);
    this.session = session;
    for (const listener of this.listeners) listener(session.plane.system);
    await session.replayer.start();
  }

  private async dispose(): Promise<void> {
    const old = this.session;
    this.session = undefined;
    if (old !== undefined) {
      await old.replayer.stop();
      old.plane.close();
    }
  }

  private serialize(action: () => Promise<void>): Promise<void> {
    const run = this.queue.then(action, action);
    this.queue = run.catch(() => {});
    return run;
  }
}
