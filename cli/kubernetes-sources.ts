// Kubernetes mode's part of the control plane: one source per kind (Secrets and ConfigMaps only by reference), the
// provisioner when data planes are provisioned, and every write to the API server gated by leadership.
import type { StatusStore, StatusWrite } from '../actors/patchers/index.ts';
import { provisionerSpec } from '../actors/provisioner/index.ts';
import { REFERENCE_VALIDATOR } from '../actors/reference-validator/index.ts';
import { WATCHED_BY_REFERENCE } from '../model/evaluation/watched-references.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import { GROUP_OF_KIND, type KindName } from '../model/resources/kinds.ts';
import type { ApiResource, KubeClient } from '../sources/kubernetes/client.ts';
import type { SecretTarget } from '../sources/kubernetes/extproc-config-writer.ts';
import {
  GATEWAY_CLASS_FINALIZER,
  kubernetesFinalizerWriter,
} from '../sources/kubernetes/finalizer-writer.ts';
import { kubernetesSourceMachine } from '../sources/kubernetes/machine.ts';
import {
  kubernetesSourceName,
  type ReferencedSourceMessage,
  type WatchEventReceived,
} from '../sources/kubernetes/messages.ts';
import {
  type KubernetesSourcePorts,
  kubernetesSourcePorts,
  type WatchSettings,
} from '../sources/kubernetes/ports.ts';
import { kubernetesProvisioningWriter } from '../sources/kubernetes/provisioning-writer.ts';
import { referencedSourceMachine } from '../sources/kubernetes/referenced-source.ts';
import { kubernetesStatusWriter } from '../sources/kubernetes/status-writer.ts';
import { secretExtProcConfigPort } from './extproc-config-port.ts';
import { secretMcpConfigPort } from './mcp-config-port.ts';
import type { Plane, SourceWiring } from './plane.ts';

export interface KubernetesPlaneOptions {
  readonly client: KubeClient;
  readonly resources: ReadonlyMap<KindName, ApiResource | undefined>;
  readonly watch?: WatchSettings;
  /** Tests: wraps the sources' ports (to force a 410 Gone, gate a watch, …). */
  readonly wrapPorts?: (ports: KubernetesSourcePorts) => KubernetesSourcePorts;
  /**
   * Data-plane provisioning per backend (docs/operations.md): each accepted Gateway of a backend listed here
   * gets a ServiceAccount, ConfigMap, Deployment and Service, and Programmed needs the Service's address.
   */
  readonly provisioning?: Readonly<Record<string, ProvisioningSettings>>;
  /**
   * Leader election: every write to the API server (statuses, finalizers, provisioning) waits until this
   * resolves, i.e. until this replica leads (see sources/kubernetes/lease.ts); false skips the write (the
   * election stopped without this replica leading). Absent: always writes.
   */
  readonly whenLeader?: () => Promise<boolean>;
  /**
   * Replay (replay/session.ts): where status writes go instead of the API server, given the plane's status store.
   * The client is then never asked to write statuses.
   */
  readonly statusWriter?: (statuses: StatusStore) => (write: StatusWrite) => Promise<unknown>;
  /**
   * The Secret the AI Gateway's ext_proc configuration is applied to (docs/extproc.md, Delivery), gated by
   * leader election like every write; it takes the place of `extProcConfig`.
   */
  readonly extProcConfigSecret?: SecretTarget;
  /** The Secret the MCP proxy configuration is applied to (docs/mcp.md); it takes the place of `mcpConfig`. */
  readonly mcpConfigSecret?: SecretTarget;
}

/**
 * Kubernetes mode: one source per kind (Secrets and ConfigMaps by reference), the provisioner when data planes
 * are provisioned; every write to the API server waits for leadership.
 */
export function spawnKubernetesSources(
  plane: Plane,
  owners: Record<KindName, string>,
  kubernetes: KubernetesPlaneOptions,
): SourceWiring {
  const { client, resources } = kubernetes;
  const { system, controllerName } = plane;
  const realPorts = kubernetesSourcePorts(
    client,
    resources,
    (kind) => system.ref<WatchEventReceived>(kubernetesSourceName(kind)),
    kubernetes.watch,
  );
  const ports = kubernetes.wrapPorts?.(realPorts) ?? realPorts;
  plane.closers.push(() => ports.close());
  const referenceWatchers: Record<string, string> = {};
  for (const [kind, owner] of Object.entries(owners)) {
    // A kind the discovery did not name at all (not even as not served) is not watched: a replayed log
    // recorded before the kind existed has no source for it.
    if (!resources.has(kind as KindName)) continue;
    if (WATCHED_BY_REFERENCE.includes(kind)) {
      spawnReferencedSource(plane, kind, owner, ports, realPorts);
      referenceWatchers[kind] = kubernetesSourceName(kind);
    } else spawnKindSource(plane, kind, owner, ports);
  }
  const gated = leaderGate(kubernetes.whenLeader);
  if (kubernetes.provisioning !== undefined) spawnProvisioner(plane, client, gated);
  const secret = kubernetes.extProcConfigSecret;
  const mcpSecret = kubernetes.mcpConfigSecret;
  return {
    writeStatus:
      kubernetes.statusWriter?.(plane.statuses) ??
      gated(kubernetesStatusWriter(client, resources, controllerName)),
    writeFinalizer: gated(kubernetesFinalizerWriter(client, resources)),
    gatewayClassFinalizer: GATEWAY_CLASS_FINALIZER,
    ...(secret === undefined
      ? {}
      : { extProcConfig: secretConfigPort(gated(secretExtProcConfigPort(client, secret))) }),
    ...(mcpSecret === undefined
      ? {}
      : { mcpConfig: secretConfigPort(gated(secretMcpConfigPort(client, mcpSecret))) }),
    referenceWatchers,
    expectedKinds: Object.keys(GROUP_OF_KIND).filter((kind) => resources.has(kind as KindName)),
    hostDataPlane: false,
  };
}

/** A kind listed and watched as a whole. */
function spawnKindSource(plane: Plane, kind: string, owner: string, ports: KubernetesSourcePorts): void {
  plane.system.spawn({
    name: kubernetesSourceName(kind),
    machine: kubernetesSourceMachine,
    input: { kind, owner },
    mailbox: { capacity: 256 },
    effects: {
      list: ports.list,
      watch: ports.watch,
      'report-problem': (problem: { kind: string; message: string }) =>
        plane.report({ origin: problem.kind, message: problem.message }),
    },
  });
}

/** Secrets and ConfigMaps: only the objects something references, one watch each (docs/operations.md). */
function spawnReferencedSource(
  plane: Plane,
  kind: string,
  owner: string,
  ports: KubernetesSourcePorts,
  realPorts: ReturnType<typeof kubernetesSourcePorts>,
): void {
  plane.system.spawn({
    name: kubernetesSourceName(kind),
    machine: referencedSourceMachine,
    input: { kind, owner },
    mailbox: {
      capacity: 256,
      coalesceBy: (message: ReferencedSourceMessage) =>
        message.type === 'references.wanted' ? message.type : message.meta.id,
    },
    effects: {
      list: ports.list,
      watch: ports.watch,
      'stop-watch': ports['stop-watch'] ?? realPorts['stop-watch'],
    },
  });
}

type LeaderGate = <R, T>(
  port: (request: R) => Promise<T>,
) => (request: R) => Promise<T | { readonly skipped: 'not the leader' }>;

/** A write port that waits for leadership and skips the write when this replica does not lead. */
function leaderGate(whenLeader: (() => Promise<boolean>) | undefined): LeaderGate {
  return (port) =>
    whenLeader === undefined
      ? port
      : async (request) => ((await whenLeader()) ? port(request) : { skipped: 'not the leader' });
}

/** Applies and deletes the provisioned data planes, and sweeps orphans at start-up: the leader only. */
function spawnProvisioner(plane: Plane, client: KubeClient, gated: LeaderGate): void {
  const writer = kubernetesProvisioningWriter(client);
  plane.system.spawn(
    provisionerSpec(
      {
        'apply-data-plane': gated(writer['apply-data-plane']),
        'delete-data-plane': gated(writer['delete-data-plane']),
        'list-provisioned-objects': gated(writer['list-provisioned-objects']),
        'delete-provisioned-object': gated(writer['delete-provisioned-object']),
      },
      { sweep: { view: plane.store, controllerName: plane.controllerName } },
      [REFERENCE_VALIDATOR],
    ),
  );
}

/** A configuration port over a Secret writer: written, or not (skipped while not leading). */
function secretConfigPort<TRequest>(
  port: (request: TRequest) => Promise<{ written: boolean } | { readonly skipped: 'not the leader' }>,
): (request: TRequest) => Promise<{ written: boolean }> {
  return async (request) => {
    const outcome = await port(request);
    return { written: 'written' in outcome && outcome.written };
  };
}
