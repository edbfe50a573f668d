// A Kubernetes source's inbox: events from its watch stream (tagged with the watch they belong to), and effect
// replies (list results, the end of a watch).
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
