// The Kubernetes sources' effects: discovery of where each kind is served, list, and watch streams whose
// events are sent to the source actor (awaiting its mailbox: a slow pipeline slows the reading of the stream).
import { GROUP_OF_KIND, type KindName } from '../../model/resources.ts';
import type { ActorRef } from '../../runtime/ActorSystem.ts';
import { type ApiResource, KubeApiError, type KubeClient, WatchStalledError } from './client.ts';
import type { ListResult, WatchEnded } from './machine.ts';
import type { WatchEventReceived } from './messages.ts';

/** Only TLS Secrets are read: listener certificates. Watching every Secret would need more access and memory. */
export const FIELD_SELECTORS: Readonly<Partial<Record<KindName, string>>> = {
  Secret: 'type=kubernetes.io/tls',
};

/** Where each kind is served (its preferred version that has it); undefined for kinds not served (no CRD). */
export async function discoverResources(
  client: KubeClient,
  kinds: readonly KindName[],
): Promise<Map<KindName, ApiResource | undefined>> {
  const found = new Map<KindName, ApiResource | undefined>();
  const groups = [...new Set(kinds.map((kind) => GROUP_OF_KIND[kind]))];
  await Promise.all(
    groups.map(async (group) => {
      const wanted = kinds.filter((kind) => GROUP_OF_KIND[kind] === group);
      for (const version of await client.groupVersions(group)) {
        const served = await client.discover(group, version);
        for (const kind of wanted) {
          if (found.get(kind) !== undefined) continue;
          const resource = served.find((r) => r.kind === kind);
          if (resource !== undefined) found.set(kind, resource);
        }
      }
    }),
  );
  for (const kind of kinds) if (!found.has(kind)) found.set(kind, undefined);
  return found;
}

const IMMEDIATE_END_MS = 1_000;

export interface KubernetesSourcePorts {
  readonly list: (request: { kind: KindName }) => Promise<ListResult>;
  readonly watch: (request: {
    kind: KindName;
    resourceVersion: string;
    watch: number;
  }) => Promise<WatchEnded>;
  close(): void;
}

export interface WatchSettings {
  readonly timeoutSeconds?: number;
  readonly idleTimeoutMs?: number;
}

export function kubernetesSourcePorts(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
  source: (kind: KindName) => ActorRef<WatchEventReceived>,
  settings: WatchSettings = {},
): KubernetesSourcePorts {
  const stop = new AbortController();
  return {
    list: async ({ kind }) => {
      const resource = resources.get(kind);
      if (resource === undefined) return { served: false, items: [], resourceVersion: '' };
      const list = await client.list(resource, stop.signal, FIELD_SELECTORS[kind]);
      return { served: true, ...list };
    },
    watch: async ({ kind, resourceVersion, watch }) => {
      // Stopped: an error (which the source backs off from), not a normal end it would resume from at once.
      if (stop.signal.aborted) return { watch, reason: 'error', message: 'the source is stopping' };
      const resource = resources.get(kind);
      // A kind that is not served has nothing to watch; wait until stopped rather than spin.
      if (resource === undefined) {
        await new Promise<void>((resolve) =>
          stop.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        return { watch, reason: 'closed' };
      }
      const started = Date.now();
      let delivered = 0;
      try {
        const events = client.watch(resource, resourceVersion, {
          signal: stop.signal,
          ...(settings.timeoutSeconds === undefined ? {} : { timeoutSeconds: settings.timeoutSeconds }),
          ...(settings.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: settings.idleTimeoutMs }),
          ...(FIELD_SELECTORS[kind] === undefined ? {} : { fieldSelector: FIELD_SELECTORS[kind] }),
        });
        for await (const event of events) {
          if (event.type === 'ERROR') {
            if (event.object.code === 410)
              return { watch, reason: 'gone', message: event.object.message ?? 'Gone' };
            return { watch, reason: 'error', message: event.object.message ?? 'watch error' };
          }
          await source(kind).send({ type: 'watch.event', watch, event });
          delivered++;
        }
        // A watch the server ends at once, with nothing in it (a CRD whose storage is still initializing does
        // that), is a failure to back off from — resuming at once would spin.
        if (delivered === 0 && Date.now() - started < IMMEDIATE_END_MS) {
          return { watch, reason: 'error', message: 'the API server ended the watch at once' };
        }
        return { watch, reason: 'closed' };
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 410)
          return { watch, reason: 'gone', message: error.message };
        if (error instanceof WatchStalledError) return { watch, reason: 'stalled', message: error.message };
        if (stop.signal.aborted) return { watch, reason: 'closed' };
        return { watch, reason: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    },
    close: () => stop.abort(),
  };
}
