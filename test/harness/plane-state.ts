// What the files-mode control plane holds once quiescent, in a form two planes can be compared by: a plane that
// went through a history of edits must hold what a fresh start on the files as they are now holds.
import type { DeployedGateway } from '../../actors/gateway-deployer/machine.ts';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/messages.ts';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';
import { formatResourceKey, keyOf } from '../../model/resources/resource-key.ts';
import { createLogger } from '../../runtime/logger.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import type { CrdValidator } from '../../sources/files/crd-validation/crd-validator.ts';
import { FILES_SOURCE, type FilesChanged } from '../../sources/files/messages.ts';
import { filesSummary } from '../../sources/files/source-state.ts';

export interface PlaneState {
  /** Every stored object of every kind, by key: spec, status and the rest (generation aside). */
  readonly objects: Record<string, unknown>;
  /** The Gateway IRs the deployer holds, by Gateway. */
  readonly irs: Record<string, unknown>;
  /** The problem list, as `origin: message` lines, sorted (the order they were found in is history). */
  readonly problems: readonly string[];
  /** What the files source read: per file the objects it defines and which definition is in force. */
  readonly files: unknown;
}

/**
 * A plane's state with what counts the changes it saw left out: generations and the times conditions changed
 * (an API server's would differ the same way); everything else must be equal.
 */
export function planeState(plane: ControlPlane): PlaneState {
  const objects: Record<string, unknown> = {};
  for (const kind of Object.keys(GROUP_OF_KIND) as KindName[]) {
    for (const object of plane.store.list(kind)) {
      const { generation: _generation, ...metadata } = object.metadata as { generation?: number };
      objects[formatResourceKey(keyOf(object))] = normalised({ ...object, metadata });
    }
  }
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as
    | { gateways: Map<string, DeployedGateway> }
    | undefined;
  const irs: Record<string, unknown> = {};
  for (const [id, { ir }] of deployer?.gateways ?? []) if (ir !== undefined) irs[id] = normalised(ir);
  return {
    objects: sortedRecord(objects),
    irs: sortedRecord(irs),
    problems: plane.problems.map((p) => `${p.origin}: ${p.message}`).sort(),
    files: filesSummary(plane.system.actor(FILES_SOURCE)?.context),
  };
}

/** A plane on `dir` whose file changes are announced by the test, as the watcher would, instead of the watcher. */
export interface AnnouncedPlane {
  readonly plane: ControlPlane;
  /** Sends each group of paths as one `files.changed`, back to back, then runs the plane until quiescent. */
  announce(...groups: readonly (readonly string[])[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a watching plane on the files under `dir` (with no watcher), checking objects against `crds` when given,
 * and runs it until quiescent.
 */
export async function startAnnounced(dir: string, crds?: CrdValidator): Promise<AnnouncedPlane> {
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: {
      paths: [dir],
      watch: true,
      wrapPorts: (ports) => ({ ...ports, watch: () => {} }),
      ...(crds === undefined ? {} : { crds }),
    },
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);
  return {
    plane,
    announce: async (...groups) => {
      for (const paths of groups) {
        if (paths.length > 0)
          await plane.system.send<FilesChanged>(FILES_SOURCE, { type: 'files.changed', paths });
      }
      await runUntilQuiescent(plane.system, clock);
    },
    stop: async () => {
      await plane.system.stop(2_000);
      plane.close();
    },
  };
}

/** Starts a plane on the files under `dir` as they are, runs it until quiescent and returns its state. */
export async function freshState(dir: string, crds?: CrdValidator): Promise<PlaneState> {
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch: false, ...(crds === undefined ? {} : { crds }) },
  });
  try {
    plane.system.start();
    await runUntilQuiescent(plane.system, clock);
    return planeState(plane);
  } finally {
    await plane.system.stop(2_000);
    plane.close();
  }
}

function normalised(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null)
      .replace(/"lastTransitionTime":"[^"]*"/g, '"lastTransitionTime":""')
      .replace(/"observedGeneration":\d+/g, '"observedGeneration":0'),
  );
}

function sortedRecord(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
