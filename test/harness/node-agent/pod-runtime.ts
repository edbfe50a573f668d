// One pod on the node: its network namespace, its volumes, a process per container (the image mapped to a local
// binary), probes, restarts with back-off, and the pod status the kubelet would report.
//
// A container runs as `nsenter --net=<netns> unshare --uts --mount … setpriv --pdeathsig KILL <binary> <args>`:
// in the pod's network namespace, with the pod name as hostname, killed by the kernel if the node agent dies.
// Volume mount paths that appear in args or env values are rewritten to the volume's directory on the node;
// mounts under /run (the service-account token at /var/run/secrets/…) are bind-mounted in the container's
// mount namespace over a private /run, since programs find them by a fixed path. That command line is built in
// container-launch.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  V1Container,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import type { PodFacts } from './container-env.ts';
import { containerLaunch, type ImageMap, type Launch, PodError } from './container-launch.ts';
import { recordEvent, recordLines } from './container-log.ts';
import type { RunNetwork } from './network.ts';
import { VolumeSourceMissing, type VolumeSources, writePodVolumes } from './pod-volumes.ts';
import { checkProbeSupported, probeTiming, runProbe } from './probes.ts';

export interface PodRuntimeOptions {
  readonly network: RunNetwork;
  readonly podsDir: string;
  readonly images: ImageMap;
  readonly sources: VolumeSources;
  readonly apiServer?: { readonly host: string; readonly port: number };
  /** Called whenever the status changed; the node agent writes it. */
  readonly onChange: () => void;
}

const MAX_BACKOFF_MS = 20_000;
const MAX_GRACE_MS = 30_000;

interface ContainerRun {
  readonly spec: V1Container;
  process?: ChildProcess;
  restartCount: number;
  startedAt?: Date;
  running: boolean;
  ready: boolean;
  started: boolean;
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason: string; startedAt?: Date; finishedAt: Date };
  lastTerminated?: { exitCode: number; reason: string; startedAt?: Date; finishedAt: Date };
  timers: NodeJS.Timeout[];
  generation: number;
}

export class PodRuntime {
  readonly key: string;
  private pod: V1Pod;
  private readonly options: PodRuntimeOptions;
  private readonly dir: string;
  private netns?: string;
  private ip?: string;
  private readonly containers: ContainerRun[];
  private startTime = new Date();
  private failure?: { reason: string; message: string };
  private stopping = false;
  private startCancelled = false;

  constructor(pod: V1Pod, options: PodRuntimeOptions) {
    this.pod = pod;
    this.options = options;
    this.key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    this.dir = join(options.podsDir, `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`);
    this.containers = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      restartCount: 0,
      running: false,
      ready: false,
      started: false,
      waiting: { reason: 'ContainerCreating' },
      timers: [],
      generation: 0,
    }));
  }

  get podIP(): string | undefined {
    return this.ip;
  }

  async start(): Promise<void> {
    try {
      if ((this.pod.spec?.initContainers ?? []).length > 0)
        throw new PodError(
          'CreateContainerConfigError',
          'init containers are not supported by the node agent',
        );
      const network = await this.options.network.addPod(this.key);
      this.netns = network.netns;
      this.ip = network.ip;
      this.startTime = new Date();
      if (this.stopping) return;
      mkdirSync(this.dir, { recursive: true });
      const facts = this.facts();
      const volumes = await this.mountVolumes(facts);
      if (volumes === undefined) return;
      for (const container of this.containers) {
        try {
          checkProbeSupported(container.spec, container.spec.readinessProbe, 'readiness');
          checkProbeSupported(container.spec, container.spec.livenessProbe, 'liveness');
          checkProbeSupported(container.spec, container.spec.startupProbe, 'startup');
          const launch = await containerLaunch(this.pod, container.spec, volumes, facts, {
            images: this.options.images,
            sources: this.options.sources,
            netns: this.netns,
          });
          this.startContainer(container, launch);
        } catch (error) {
          const reason = error instanceof PodError ? error.reason : 'CreateContainerConfigError';
          container.waiting = { reason, message: (error as Error).message };
        }
      }
    } catch (error) {
      this.failure =
        error instanceof PodError
          ? { reason: error.reason, message: error.message }
          : { reason: 'CreatePodSandboxError', message: (error as Error).message };
      for (const container of this.containers) container.waiting = this.failure;
    }
    this.options.onChange();
  }

  /**
   * The pod's volumes, written again every second while a ConfigMap, Secret or key they need is missing (the
   * containers wait in ContainerCreating, as with the kubelet's FailedMount); undefined when the pod is stopped
   * meanwhile.
   */
  private async mountVolumes(facts: PodFacts): Promise<Map<string, string> | undefined> {
    for (;;) {
      try {
        return await writePodVolumes(this.pod, this.dir, facts, this.options.sources);
      } catch (error) {
        if (!(error instanceof VolumeSourceMissing))
          throw new PodError('CreateContainerConfigError', (error as Error).message);
        const waiting = {
          reason: 'ContainerCreating',
          message: `MountVolume.SetUp failed: ${error.message}`,
        };
        if (this.containers.some((container) => container.waiting?.message !== waiting.message)) {
          for (const container of this.containers) container.waiting = waiting;
          this.options.onChange();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (this.stopping || this.startCancelled) return undefined;
    }
  }

  /** Ends a start still waiting for the pod's volumes (the pod is being deleted, or the node agent stops). */
  cancelStart(): void {
    this.startCancelled = true;
  }

  /** The log file of a container (container-log.ts format), undefined for a container the pod does not have. */
  logFile(container: string): string | undefined {
    return this.containers.some((c) => c.spec.name === container)
      ? join(this.dir, `${container}.log`)
      : undefined;
  }

  /** Keeps the newest pod object (for labels in downward-API fields written later). */
  update(pod: V1Pod): void {
    this.pod = pod;
  }

  /** SIGTERM to every container, SIGKILL after the grace period, then the namespace and files are removed. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    const graceMs = Math.min(Math.max(graceSeconds, 0) * 1000, MAX_GRACE_MS);
    await Promise.all(this.containers.map((container) => this.killContainer(container, graceMs)));
    if (this.netns) await this.options.network.removePod(this.key, this.netns);
    rmSync(this.dir, { recursive: true, force: true });
  }

  status(): V1PodStatus {
    const now = new Date();
    const allReady = this.containers.every((container) => container.ready);
    const condition = (type: string, status: boolean): V1PodCondition => ({
      type,
      status: status ? 'True' : 'False',
      lastTransitionTime: now,
    });
    return {
      phase: this.phase(),
      hostIP: this.options.network.gateway,
      hostIPs: [{ ip: this.options.network.gateway }],
      ...(this.ip ? { podIP: this.ip, podIPs: [{ ip: this.ip }] } : {}),
      startTime: this.startTime,
      conditions: [
        condition('PodReadyToStartContainers', this.ip !== undefined),
        condition('Initialized', true),
        condition('ContainersReady', allReady),
        condition('Ready', allReady),
        condition('PodScheduled', true),
      ],
      containerStatuses: this.containers.map((container) => this.containerStatus(container)),
      ...(this.failure ? { reason: this.failure.reason, message: this.failure.message } : {}),
    };
  }

  private phase(): string {
    if (this.containers.some((container) => container.running)) return 'Running';
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (policy !== 'Always' && this.containers.every((container) => container.terminated)) {
      return this.containers.every((container) => container.terminated?.exitCode === 0)
        ? 'Succeeded'
        : 'Failed';
    }
    return 'Pending';
  }

  private containerStatus(container: ContainerRun): V1ContainerStatus {
    const terminated = (state: NonNullable<ContainerRun['terminated']>) => ({
      terminated: {
        exitCode: state.exitCode,
        reason: state.reason,
        finishedAt: state.finishedAt,
        ...(state.startedAt ? { startedAt: state.startedAt } : {}),
      },
    });
    const state = container.running
      ? { running: { startedAt: container.startedAt } }
      : container.terminated && !container.waiting
        ? terminated(container.terminated)
        : { waiting: container.waiting ?? { reason: 'ContainerCreating' } };
    return {
      name: container.spec.name,
      image: container.spec.image ?? '',
      imageID: '',
      ready: container.ready,
      started: container.started,
      restartCount: container.restartCount,
      state,
      ...(container.lastTerminated ? { lastState: terminated(container.lastTerminated) } : {}),
      ...(container.process?.pid ? { containerID: `switchyard-node://${container.process.pid}` } : {}),
    };
  }

  private facts(): PodFacts {
    return {
      podIP: this.ip ?? '',
      hostIP: this.options.network.gateway,
      ...(this.options.apiServer ? { apiServer: this.options.apiServer } : {}),
    };
  }

  private startContainer(container: ContainerRun, launch: Launch): void {
    if (this.stopping) return;
    const generation = ++container.generation;
    const logFile = join(this.dir, `${container.spec.name}.log`);
    recordEvent(logFile, `start #${container.restartCount}: ${launch.argv.join(' ')}`);
    const [command, ...args] = launch.argv;
    const child = spawn(command!, args, {
      env: launch.env,
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    recordLines(child.stdout!, 'stdout', logFile);
    recordLines(child.stderr!, 'stderr', logFile);
    container.process = child;
    container.running = true;
    container.started = !container.spec.startupProbe;
    container.ready = false;
    container.startedAt = new Date();
    container.waiting = undefined;
    container.terminated = undefined;
    child.once('error', (error) => {
      container.waiting = { reason: 'RunContainerError', message: error.message };
    });
    child.once('exit', (code, signal) => {
      if (generation !== container.generation) return;
      this.clearTimers(container);
      container.running = false;
      container.ready = false;
      container.process = undefined;
      const finished = {
        exitCode: code ?? 128 + signalNumber(signal),
        reason: code === 0 ? 'Completed' : 'Error',
        ...(container.startedAt ? { startedAt: container.startedAt } : {}),
        finishedAt: new Date(),
      };
      container.terminated = finished;
      container.lastTerminated = finished;
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      const restart =
        !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && finished.exitCode !== 0));
      if (restart) {
        const ranMs = finished.finishedAt.getTime() - (container.startedAt?.getTime() ?? 0);
        const backoff =
          ranMs > 60_000 ? 0 : Math.min(1000 * 2 ** Math.min(container.restartCount, 5), MAX_BACKOFF_MS);
        container.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${backoff} ms restarting failed container`,
        };
        container.timers.push(
          setTimeout(() => {
            container.restartCount++;
            this.startContainer(container, launch);
          }, backoff),
        );
      }
      this.options.onChange();
    });
    this.watchProbes(container, generation);
    this.options.onChange();
  }

  private watchProbes(container: ContainerRun, generation: number): void {
    const spec = container.spec;
    const current = () => generation === container.generation && container.running && !this.stopping;
    const loop = (
      probe: NonNullable<V1Container['readinessProbe']>,
      onResult: (ok: boolean, consecutive: { ok: number; failed: number }) => boolean,
    ) => {
      const timing = probeTiming(probe);
      const counts = { ok: 0, failed: 0 };
      const tick = async () => {
        if (!current()) return;
        const ok = await runProbe(probe, spec, this.ip ?? '', timing.timeoutMs);
        if (!current()) return;
        if (ok) {
          counts.ok++;
          counts.failed = 0;
        } else {
          counts.failed++;
          counts.ok = 0;
        }
        if (onResult(ok, counts)) container.timers.push(setTimeout(tick, timing.periodMs));
      };
      container.timers.push(setTimeout(tick, timing.initialDelayMs));
    };
    const afterStartup = () => {
      if (spec.readinessProbe) {
        const timing = probeTiming(spec.readinessProbe);
        loop(spec.readinessProbe, (_ok, counts) => {
          const ready = container.ready
            ? counts.failed < timing.failureThreshold
            : counts.ok >= timing.successThreshold;
          if (ready !== container.ready) {
            container.ready = ready;
            this.options.onChange();
          }
          return true;
        });
      } else if (!container.ready) {
        container.ready = true;
        this.options.onChange();
      }
      if (spec.livenessProbe) {
        const timing = probeTiming(spec.livenessProbe);
        loop(spec.livenessProbe, (_ok, counts) => {
          if (counts.failed < timing.failureThreshold) return true;
          container.process?.kill('SIGKILL');
          return false;
        });
      }
    };
    if (spec.startupProbe) {
      const timing = probeTiming(spec.startupProbe);
      loop(spec.startupProbe, (ok, counts) => {
        if (ok) {
          container.started = true;
          this.options.onChange();
          afterStartup();
          return false;
        }
        if (counts.failed >= timing.failureThreshold) {
          container.process?.kill('SIGKILL');
          return false;
        }
        return true;
      });
    } else {
      afterStartup();
    }
  }

  private async killContainer(container: ContainerRun, graceMs: number): Promise<void> {
    this.clearTimers(container);
    const child = container.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private clearTimers(container: ContainerRun): void {
    for (const timer of container.timers) clearTimeout(timer);
    container.timers = [];
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 0;
}
