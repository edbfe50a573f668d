// Standalone mode has no API server to hold statuses: the patchers write them here. `translate`, the inspector
// and `--status-dir` read them back.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AnyResource, KindName } from '../../model/resources/kinds.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import type { StatusWrite } from './machine.ts';

export class StatusStore {
  private readonly statuses = new Map<string, { key: ResourceKey; status: unknown }>();

  get(key: ResourceKey): unknown {
    return this.statuses.get(formatResourceKey(key))?.status;
  }

  set(key: ResourceKey, status: unknown): void {
    this.statuses.set(formatResourceKey(key), { key, status });
  }

  delete(key: ResourceKey): void {
    this.statuses.delete(formatResourceKey(key));
  }

  entries(): { key: ResourceKey; status: unknown }[] {
    return [...this.statuses.values()];
  }
}

/**
 * The patchers' write port in standalone mode: record the status, put it on the object in the shared state (as
 * the API server would, so unchanged conditions keep their lastTransitionTime), and mirror it to `statusDir`.
 *
 * The withdrawal (`WITHDRAWN_STATUS`, what takes back our conditions from an object that is no longer ours) leaves
 * the object with no status: the controller is the only writer here, so nothing of anyone's is left, and the object
 * reads as a fresh start on the same files reads it, where it never had a status.
 */
export function fileStatusWriter(store: ResourceStore, statuses: StatusStore, statusDir?: string) {
  return async (write: StatusWrite): Promise<{ written: boolean }> => {
    const { key, status } = write;
    const object = store.get(key.kind as KindName, key.namespace, key.name);
    if (object === undefined) return { written: false };
    let updated: AnyResource;
    if (isWithdrawal(status)) {
      statuses.delete(key);
      const { status: _withdrawn, ...rest } = object as AnyResource & { status?: unknown };
      updated = rest as AnyResource;
    } else {
      statuses.set(key, status);
      updated = { ...object, status } as AnyResource;
    }
    store.upsert(updated);
    if (statusDir !== undefined) {
      const dir = join(statusDir, key.kind, key.namespace ?? '_cluster');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${key.name}.yaml`), stringify(updated));
    }
    return { written: true };
  };
}

/** `{conditions: []}` and nothing else. */
function isWithdrawal(status: unknown): boolean {
  if (status === null || typeof status !== 'object') return false;
  const fields = Object.entries(status);
  return (
    fields.length === 1 &&
    fields[0]?.[0] === 'conditions' &&
    Array.isArray(fields[0][1]) &&
    fields[0][1].length === 0
  );
}
