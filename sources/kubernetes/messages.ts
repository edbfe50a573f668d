// A Kubernetes source's inbox: events from its watch stream (tagged with the watch they belong to), and effect
// replies (list results, the end of a watch).
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import type { Message } from '../../runtime/message.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import type { WatchEvent } from './client.ts';

export function kubernetesSourceName(kind: string): string {
  return `source.kubernetes.${kind}`;
}

export interface WatchEventReceived extends Message<'watch.event'> {
  /** Which watch this came from: events of a watch that has since been replaced are ignored. */
  readonly watch: number;
  readonly event: WatchEvent;
}

export type KubernetesSourceMessage = WatchEventReceived | EffectReply;

/** Raised on the clock when a watched-by-reference object's backoff is over: list or watch it again. */
export interface ObjectRetryDue extends Message<'object.retry'> {
  /** The object (`namespace/name`) and the attempt that failed: a later attempt makes this one stale. */
  readonly object: string;
  readonly attempt: number;
}

/** The inbox of a source of Secrets or ConfigMaps watched by reference (referenced-source.ts). */
export type ReferencedSourceMessage = ReferencesWanted | WatchEventReceived | ObjectRetryDue | EffectReply;
