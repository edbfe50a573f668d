// The Kubernetes sources' effects: discovery of where each kind is served, list, and watch streams whose
// events are sent to the source actor (awaiting its mailbox: a slow pipeline slows the reading of the stream).
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';
import type { ActorRef } from '../../runtime/ActorSystem.ts';
import { type ApiResource, KubeApiError, type KubeClient, WatchStalledError } from './client.ts';
import type { ListResult, WatchEnded } from './machine.ts';
import type { WatchEventReceived } from './messages.ts';

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

/**
 * `list` and `watch` serve both sources: a whole kind, or — given `namespace` and `name` — one object watched by
 * reference (referenced-source.ts), through `fieldSelector=metadata.name=<name>` in its namespace. `stop-watch`
 * ends such a watch when its object is no longer referenced.
 */
export interface KubernetesSourcePorts {
  readonly list: (request: { kind: KindName; namespace?: string; name?: string }) => Promise<ListResult>;
  readonly watch: (request: {
    kind: KindName;
    resourceVersion: string;
    watch: number;
    namespace?: string;
    name?: string;
  }) => Promise<WatchEnded>;
  /** Absent in a wrapper: the real ports' own is used (the watches it stops are theirs). */
  readonly 'stop-watch'?: (request: { watch: number }) => { stopped: boolean };
  close(): void;
}

/** Where one object is read, for a list or watch by reference; undefined for a whole kind. */
function oneObject(request: { namespace?: string; name?: string }) {
  return request.namespace === undefined || request.name === undefined
    ? undefined
    : { namespace: request.namespace, fieldSelector: `metadata.name=${request.name}` };
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
): KubernetesSourcePorts & Required<Pick<KubernetesSourcePorts, 'stop-watch'>> {
  const stop = new AbortController();
  /** Watches of single objects, by watch number, so that `stop-watch` can end one. */
  const objectWatches = new Map<number, AbortController>();
  return {
    list: async (request) => {
      const resource = resources.get(request.kind);
      if (resource === undefined) return { served: false, items: [], resourceVersion: '' };
      const object = oneObject(request);
      const list = await client.list(resource, stop.signal, object?.fieldSelector, object?.namespace);
      return { served: true, ...list };
    },
    watch: async (request) => {
      const { kind, resourceVersion, watch } = request;
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
      const object = oneObject(request);
      let signal = stop.signal;
      if (object !== undefined) {
        const own = new AbortController();
        objectWatches.set(watch, own);
        signal = AbortSignal.any([stop.signal, own.signal]);
      }
      try {
        const events = client.watch(resource, resourceVersion, {
          signal,
          ...(settings.timeoutSeconds === undefined ? {} : { timeoutSeconds: settings.timeoutSeconds }),
          ...(settings.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: settings.idleTimeoutMs }),
          ...(object ?? {}),
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
        if (signal.aborted) return { watch, reason: 'closed' };
        return { watch, reason: 'error', message: error instanceof Error ? error.message : String(error) };
      } finally {
        objectWatches.delete(watch);
      }
    },
    'stop-watch': ({ watch }) => {
      const own = objectWatches.get(watch);
      own?.abort();
      return { stopped: own !== undefined };
    },
    close: () => stop.abort(),
  };
}
