// What a control-plane recording stores in its header so replay can rebuild the same plane (docs/record-replay.md,
// "The composition"), and `attachRecorder`, which records a running plane's outside inputs with it.

import type { TranslateOptions } from '../backends/envoy/index.ts';
import { DEFAULT_CONTROLLER_NAME } from '../model/gateway-api/gateway-class.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import type { KindName } from '../model/resources/kinds.ts';
import type { ActorSystem } from '../runtime/ActorSystem.ts';
import { Recorder } from '../runtime/Recorder.ts';
import type { ApiResource } from '../sources/kubernetes/client.ts';
import type { WatchSettings } from '../sources/kubernetes/ports.ts';
import { recordingRedaction } from './recording-redaction.ts';

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
  /**
   * `redacted`: secret values were replaced by markers (replay/recording-redaction.ts); `kept`: recorded as read
   * (`--record-secrets`). Absent in logs from before recordings were redacted: kept.
   */
  readonly secrets?: 'redacted' | 'kept';
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

export interface AttachRecorderOptions {
  readonly file: string;
  /** Size cap of one log segment; at the cap the log rotates (file → file.1 …). */
  readonly maxBytes?: number;
  /** Rotated segments kept besides the current one. */
  readonly keep?: number;
  /** How the recorded plane was built (default: the standalone controller's settings). */
  readonly composition?: CompositionSettings;
  /**
   * `keep`: write secret values as the plane read them (`--record-secrets`). Default `redact`: markers with a
   * digest instead (replay/recording-redaction.ts), so the log can be shared.
   */
  readonly secrets?: 'redact' | 'keep';
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
  const keep = options.secrets === 'keep';
  const recorder = new Recorder({
    clock: system.clock,
    composition: {
      ...recordedComposition(options.composition),
      secrets: keep ? 'kept' : 'redacted',
    } satisfies RecordedComposition as unknown as Record<string, unknown>,
    ...(keep ? {} : { redact: recordingRedaction().redact }),
    file: {
      path: options.file,
      maxBytes: options.maxBytes ?? DEFAULT_RECORD_MAX_BYTES,
      ...(options.keep === undefined ? {} : { keep: options.keep }),
    },
  });
  system.attachInputs(recorder);
  return recorder;
}
