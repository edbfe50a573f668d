// Records one Kubernetes-mode scenario from a real run: the control plane against a real kube-apiserver (its
// list/watch/status-write ports talk to it), the Envoy backend with a real ADS server, and where the scenario
// names one a real Envoy connected to it. The virtual clock keeps condition times and timers independent of
// this machine's speed; a sequencer lets one outside input in at a time, each once the system is at rest — the
// discipline replay applies — so the log replays to exactly what the live run showed.
import { KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import {
  type EnvoyResources,
  envoyBackendSpec,
  nodeClusterOf,
  type TranslateOptions,
  XdsServer,
} from '../../backends/envoy/index.ts';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../model/gateway-api/gateway-class.ts';
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { type RecordedBackends, recordedComposition } from '../../replay/composition.ts';
import { SnapshotPort } from '../../replay/fake-edges.ts';
import { planeOutcome, type ReplayResult } from '../../replay/session.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Timer } from '../../runtime/clock.ts';
import type { InputHook } from '../../runtime/InputHook.ts';
import { sequentialIds } from '../../runtime/ids.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { MemoryEventLogSink, Recorder } from '../../runtime/Recorder.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { type ApiResource, KubeClient } from '../../sources/kubernetes/client.ts';
import { discoverResources } from '../../sources/kubernetes/ports.ts';
import { type Envoy, startEnvoy } from '../harness/envoy/index.ts';
import { serverSideApply } from '../harness/kube/server-side-apply.ts';
import { type Checkpoint, renderExpected } from './expected.ts';
import type { KubeScenario, KubeStep } from './kube-scenarios.ts';
import { RECORDING_START } from './record.ts';

const STEP_MS = 1_000;
/** Virtual time between the two runs of a restart scenario. */
const RESTART_GAP_MS = 60_000;
/** Real time without any outside input after which a step counts as finished (watch echoes arrive late). */
const QUIET_MS = 500;
const STEP_TIMEOUT_MS = 60_000;
const ENVOY_BACKEND_ACTOR = 'backend.envoy';

/** One recorded log of a scenario (a restart scenario records one per run of the controller). */
export interface KubeRecording {
  readonly name: string;
  readonly summary: string;
  readonly log: string;
  /** What the live run showed at each checkpoint, in the expected-file format. */
  readonly live: string;
  readonly checkpoints: readonly Checkpoint[];
  /** What the live plane held at the last checkpoint (statuses, IR, xDS). */
  readonly result: ReplayResult;
  /** The statuses the API server held at the last checkpoint, by object (`Kind namespace/name`). */
  readonly apiserverStatuses: Readonly<Record<string, unknown>>;
}

/**
 * Lets outside inputs into a live system one at a time, each once the system has come to rest after the one
 * before: effect outcomes (list, watch end, status write, xDS publish …), messages sent from outside (watch
 * events, proxy reports) and virtual-clock advances all wait their turn.
 */
export class Sequencer {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private inflight = 0;
  lastInput = Date.now();

  private readonly system: ActorSystem;

  constructor(system: ActorSystem) {
    this.system = system;
  }

  /** True while an input waits for its turn or a port (other than a long-running watch) has not answered. */
  get busy(): boolean {
    return this.waiting > 0 || this.inflight > 0;
  }

  /** Resolves when it is this input's turn and the system is at rest. */
  admit(): Promise<void> {
    this.waiting++;
    const turn = this.tail
      .then(() => atRest(this.system))
      .then(() => {
        this.waiting--;
        this.lastInput = Date.now();
      });
    this.tail = turn;
    return turn;
  }

  /** Runs a port, then holds its outcome until its turn. */
  async gate(effect: string, run: () => unknown): Promise<unknown> {
    const counted = effect !== 'watch';
    if (counted) this.inflight++;
    let result: unknown;
    try {
      result = await run();
    } catch (error) {
      if (counted) this.inflight--;
      await this.admit();
      throw error;
    }
    if (counted) this.inflight--;
    await this.admit();
    return result;
  }

  /** Makes `system.send` (the sources' watch events, proxy reports) wait its turn. */
  gateSends(): void {
    const system = this.system;
    const send = system.send.bind(system);
    system.send = (async (to: string, draft: never, cause?: never) => {
      await this.admit();
      return send(to, draft, cause);
    }) as typeof system.send;
  }
}

/** The recorder, with every port's outcome passing through the sequencer before it is written and seen. */
class SequencedRecorder implements InputHook {
  private readonly recorder: Recorder;
  private readonly sequencer: Sequencer;

  constructor(recorder: Recorder, sequencer: Sequencer) {
    this.recorder = recorder;
    this.sequencer = sequencer;
  }

  effect(actor: string, effect: string, request: unknown, run: () => unknown): unknown {
    return this.recorder.effect(actor, effect, request, () => this.sequencer.gate(effect, run));
  }

  outside(to: string, message: Message): void {
    this.recorder.outside(to, message);
  }

  timer(actor: string, delayMs: number, fire: () => void): Timer {
    return this.recorder.timer(actor, delayMs, fire);
  }
}

/** The live ADS server, with a copy of every snapshot published (what the live run ended with). */
function teeXds(xds: XdsServer, copy: SnapshotPort<EnvoyResources>) {
  return {
    publish: (gateway: ResourceKey, revision: number, resources: EnvoyResources) => {
      copy.publish(gateway, revision, resources);
      xds.publish(gateway, revision, resources);
    },
    withdraw: (gateway: ResourceKey, revision: number) => {
      copy.withdraw(gateway);
      xds.withdraw(gateway, revision);
    },
    onReport: xds.onReport.bind(xds),
  };
}

interface LiveRun {
  readonly plane: ControlPlane;
  readonly clock: VirtualClock;
  readonly recorder: Recorder;
  readonly sink: MemoryEventLogSink;
  readonly sequencer: Sequencer;
  readonly snapshots: SnapshotPort<EnvoyResources>;
  readonly stopReports: () => void;
  readonly sections: { checkpoint: Checkpoint; result: ReplayResult }[];
}

export interface KubeRecordContext {
  readonly kubeconfig: string;
}

export async function recordKubeScenario(
  scenario: KubeScenario,
  context: KubeRecordContext,
): Promise<KubeRecording[]> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(context.kubeconfig);
  const client = new KubeClient({ kubeconfig: context.kubeconfig });
  const resources = await discoverResources(client, Object.keys(GROUP_OF_KIND) as KindName[]);
  const applied: KubernetesObject[] = [];
  await storageReady(client, resources);
  const xds = await XdsServer.start({ address: '127.0.0.1:0' });
  const translate: TranslateOptions = { bindAddress: '127.0.0.1' };
  const backends: RecordedBackends = { envoy: { name: ENVOY_BACKEND_ACTOR, translate } };
  let envoy: Envoy | undefined;
  const recordings: KubeRecording[] = [];
  let run: LiveRun | undefined;
  let runIndex = 0;
  let start = RECORDING_START;

  const startRun = async (): Promise<LiveRun> => {
    const clock = new VirtualClock(start);
    const snapshots = new SnapshotPort<EnvoyResources>();
    const plane = createControlPlane({
      clock,
      ids: sequentialIds(),
      logger: createLogger({ level: process.env.SWITCHYARD_TEST_LOG ?? 'silent' }),
      controllerName: DEFAULT_CONTROLLER_NAME,
      flushDelayMs: 20,
      kubernetes: { client, resources },
      backends: {
        envoy: envoyBackendSpec({
          name: ENVOY_BACKEND_ACTOR,
          deployer: GATEWAY_DEPLOYER,
          xds: teeXds(xds, snapshots),
          translate,
        }) as unknown as ActorSpec<Message>,
      },
    });
    const sink = new MemoryEventLogSink();
    const composition = recordedComposition({
      controllerName: DEFAULT_CONTROLLER_NAME,
      flushDelayMs: 20,
      kubernetes: { resources },
      backends,
    });
    const recorder = new Recorder({
      clock,
      sink,
      composition: composition as unknown as Record<string, unknown>,
    });
    const sequencer = new Sequencer(plane.system);
    sequencer.gateSends();
    plane.system.attachInputs(new SequencedRecorder(recorder, sequencer));
    // As the controller wires them: each proxy report is sent to the backend actor from outside.
    const stopReports = xds.onReport((report) => {
      plane.system.send(ENVOY_BACKEND_ACTOR, report).catch(() => {});
    });
    const live: LiveRun = { plane, clock, recorder, sink, sequencer, snapshots, stopReports, sections: [] };
    plane.system.start();
    await rest(live, undefined);
    checkpoint(live, runIndex === 0 ? 'initial listing' : 'the restarted controller lists the cluster');
    return live;
  };

  const finishRun = async (live: LiveRun, suffix: string): Promise<void> => {
    // The log ends at the last checkpoint: what the system does while it stops is not part of the scenario.
    live.recorder.close();
    live.stopReports();
    const apiserverStatuses = await statusesInApiserver(client, resources, live.sections.at(-1)!.result);
    live.plane.close();
    await live.plane.system.stop(5_000);
    start = live.clock.now() + RESTART_GAP_MS;
    const name = `${scenario.name}${suffix}`;
    const summary = suffix === '' ? scenario.summary : `${scenario.summary} (${suffix.slice(1)})`;
    recordings.push({
      name,
      summary,
      log: live.sink.text,
      live: renderExpected(name, summary, live.sections),
      checkpoints: live.sections.map((section) => section.checkpoint),
      result: live.sections.at(-1)!.result,
      apiserverStatuses,
    });
  };

  try {
    await applyObjects(kubeConfig, scenario.initial, applied);
    run = await startRun();
    for (const step of scenario.steps) {
      if (step.restart === true) {
        await finishRun(run, `-run${++runIndex}`);
        await applyStep(kubeConfig, step, applied);
        run = await startRun();
        continue;
      }
      await run.sequencer.admit();
      await run.clock.advance(STEP_MS);
      await applyStep(kubeConfig, step, applied);
      if (step.startEnvoy === true) {
        envoy = await startEnvoy({
          adsAddress: xds.address,
          nodeId: 'replay-envoy',
          cluster: nodeClusterOf(scenario.gateway),
          delta: true,
          waitUntil: 'started',
        });
      }
      await rest(run, step.until);
      checkpoint(run, step.note);
    }
    await finishRun(run, runIndex === 0 ? '' : `-run${runIndex + 1}`);
    run = undefined;
  } finally {
    if (run !== undefined) {
      run.recorder.close();
      run.plane.close();
      await run.plane.system.stop(5_000);
    }
    await envoy?.stop();
    await xds.stop();
    await clearFinalizers(client, resources, applied);
    await deleteObjects(kubeConfig, applied);
  }
  return recordings;
}

function checkpoint(live: LiveRun, note: string): void {
  const result = planeOutcome(live.plane, live.recorder.recorded, [], { envoy: live.snapshots });
  // A deep copy: the plane keeps changing after the checkpoint.
  live.sections.push({
    checkpoint: { seq: live.recorder.recorded, note },
    result: JSON.parse(JSON.stringify(result)) as ReplayResult,
  });
}

/**
 * Waits until the step is done: nothing waits to enter, no port is still answering, the system is at rest, no
 * timer is due, `until` holds (if given), and no input came in for QUIET_MS (the API server's watch echoes of
 * our own status writes come a little later). Due timers fire in their turn, between inputs.
 */
async function rest(live: LiveRun, until: KubeStep['until']): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (live.sequencer.busy || !(await atRest(live.plane.system, 1))) continue;
    const due = live.clock.nextDue();
    if (due !== undefined) {
      await live.sequencer.admit();
      await live.clock.advance(Math.max(0, due - live.clock.now()));
      continue;
    }
    if (Date.now() - live.sequencer.lastInput < QUIET_MS) continue;
    if (until !== undefined && !until(planeOutcome(live.plane, 0))) continue;
    return;
  }
  throw new Error(
    `the recorded system did not finish the step within ${STEP_TIMEOUT_MS} ms; actors: ${live.plane.system
      .stats()
      .filter((s) => !s.ready || s.lastError !== undefined)
      .map((s) => `${s.name} ${s.state} ${s.lastError ?? ''}`)
      .join(', ')}; Gateway conditions: ${JSON.stringify(
      planeOutcome(live.plane, 0).objects.find((o) => o.kind === 'Gateway')?.status,
    )}`,
  );
}

/** Resolves once the system is settled across two turns (as the replayer waits); false if it never is. */
async function atRest(system: ActorSystem, attempts = 1_000_000): Promise<boolean> {
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  for (let attempt = 0; attempt < attempts; attempt++) {
    await turn();
    if (!system.settled) continue;
    await turn();
    if (system.settled) return true;
  }
  return false;
}

async function applyStep(kubeConfig: KubeConfig, step: KubeStep, applied: KubernetesObject[]): Promise<void> {
  await applyObjects(kubeConfig, step.apply ?? [], applied);
  await deleteObjects(kubeConfig, step.delete ?? []);
}

async function applyObjects(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
  applied: KubernetesObject[],
): Promise<void> {
  await serverSideApply(kubeConfig, objects);
  applied.push(...objects);
}

/**
 * Waits until every served kind can be listed: a fresh API server answers "storage is (re)initializing" for a
 * while after its CRDs are installed, and the sources' retries would make each recording differ.
 */
async function storageReady(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const resource of resources.values()) {
    if (resource === undefined) continue;
    for (;;) {
      try {
        await client.list(resource);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

/** The stopped controller can no longer remove its GatewayClass finalizer: the cleanup does. */
async function clearFinalizers(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
  objects: readonly KubernetesObject[],
): Promise<void> {
  const resource = resources.get('GatewayClass');
  if (resource === undefined) return;
  for (const object of objects) {
    if (object.kind !== 'GatewayClass') continue;
    const name = object.metadata?.name ?? '';
    if ((await client.get(resource, undefined, name)) === undefined) continue;
    await client.mergePatch(resource, undefined, name, { metadata: { finalizers: null } });
  }
}

async function deleteObjects(kubeConfig: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const object of [...objects].reverse()) {
    if (object.kind === 'Namespace') continue;
    try {
      await api.delete(object);
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
  }
}

/** The statuses the API server holds for the objects the live plane showed (to compare with the plane's). */
async function statusesInApiserver(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
  result: ReplayResult,
): Promise<Record<string, unknown>> {
  const statuses: Record<string, unknown> = {};
  for (const object of result.objects) {
    const metadata = object.metadata as { name: string; namespace?: string };
    const resource = resources.get(object.kind as KindName);
    if (resource === undefined) continue;
    const current = await client.get(resource, metadata.namespace, metadata.name);
    statuses[`${String(object.kind)} ${metadata.namespace ?? ''}/${metadata.name}`] = current?.status;
  }
  return statuses;
}

/** The statuses a plane shows, in the same shape as `statusesInApiserver`. */
export function statusesInPlane(result: ReplayResult): Record<string, unknown> {
  const statuses: Record<string, unknown> = {};
  for (const object of result.objects) {
    const metadata = object.metadata as { name: string; namespace?: string };
    statuses[`${String(object.kind)} ${metadata.namespace ?? ''}/${metadata.name}`] = object.status;
  }
  return statuses;
}
