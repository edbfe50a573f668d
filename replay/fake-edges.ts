// The edges a replayed plane has instead of the world's: ports that keep what replay reports (snapshot stores for
// the ADS servers; the status store for the API server is wired in session.ts), and stand-ins that refuse to be
// used (the API client, local proxies), since every other outcome comes from the log.

import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import { agentgatewayDataPlaneTemplate } from '../backends/agentgateway/data-plane-template.ts';
import { type AgentgatewayResources, agentgatewayBackendSpec } from '../backends/agentgateway/index.ts';
import { envoyDataPlaneTemplate } from '../backends/envoy/data-plane-template.ts';
import { type EnvoyResources, envoyBackendSpec, type XdsPort } from '../backends/envoy/index.ts';
import type { XdsPortOf } from '../backends/shared/backend-machine.ts';
import type { ControlPlaneOptions } from '../cli/control-plane.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import type { ResourceKey } from '../model/resources/resource-key.ts';
import type { ActorSpec } from '../runtime/ActorSpec.ts';
import type { Message } from '../runtime/message.ts';
import type { KubeClient } from '../sources/kubernetes/client.ts';

import type { RecordedBackends } from './composition.ts';

/**
 * Effects whose port still runs on replay: they are the fake edges that keep what replay reports (the status
 * store standing in for the API server, the problem list, the xDS snapshots standing in for the ADS server).
 * Every other port — reading files, listing and watching the API server, provisioning — is answered from the
 * log only.
 */
export const REPLAY_RUNS_PORTS = [
  'write-status',
  'report-problem',
  'report-rejection',
  'xds.publish',
  'xds.withdraw',
] as const;

/**
 * The fake ADS edge of a data-plane backend on replay (and the tee of a live recording): keeps the last
 * snapshot published for each Gateway, and drops it when the Gateway is withdrawn. No proxy connects to it;
 * proxy reports come from the log.
 */
export class SnapshotPort<R> implements XdsPortOf<string, R> {
  readonly snapshots = new Map<string, R>();

  publish(gateway: ResourceKey, _revision: number, resources: R): void {
    this.snapshots.set(`${gateway.namespace}/${gateway.name}`, resources);
  }

  withdraw(gateway: ResourceKey): void {
    this.snapshots.delete(`${gateway.namespace}/${gateway.name}`);
  }

  onReport(): () => void {
    return () => {};
  }
}

export interface SnapshotStore {
  readonly envoy?: SnapshotPort<EnvoyResources>;
  readonly agentgateway?: SnapshotPort<AgentgatewayResources>;
}

/** The backend actor specs a composition records, their ADS edges replaced by snapshot ports. */
export function replayBackends(recorded: RecordedBackends | undefined): {
  backends: Record<string, ActorSpec<Message>>;
  snapshots: SnapshotStore;
} {
  const backends: Record<string, ActorSpec<Message>> = {};
  const snapshots: {
    envoy?: SnapshotPort<EnvoyResources>;
    agentgateway?: SnapshotPort<AgentgatewayResources>;
  } = {};
  if (recorded?.envoy !== undefined) {
    const xds = new SnapshotPort<EnvoyResources>();
    snapshots.envoy = xds;
    backends.envoy = envoyBackendSpec({
      name: recorded.envoy.name,
      deployer: GATEWAY_DEPLOYER,
      xds: xds as XdsPort,
      ...(recorded.envoy.translate === undefined ? {} : { translate: recorded.envoy.translate }),
    }) as unknown as ActorSpec<Message>;
  }
  if (recorded?.agentgateway !== undefined) {
    const xds = new SnapshotPort<AgentgatewayResources>();
    snapshots.agentgateway = xds;
    backends.agentgateway = agentgatewayBackendSpec({
      name: recorded.agentgateway.name,
      deployer: GATEWAY_DEPLOYER,
      xds: xds as unknown as Parameters<typeof agentgatewayBackendSpec>[0]['xds'],
    }) as unknown as ActorSpec<Message>;
  }
  return { backends, snapshots };
}

/** Replay has no API server: any use of the client is a bug in the composition, named as such. */
export const NO_API_SERVER = new Proxy(
  {},
  {
    get: (_target, property) =>
      property === 'then'
        ? undefined
        : () => {
            throw new Error(`replay has no API server: the client's ${String(property)} was called`);
          },
  },
) as unknown as KubeClient;

type LocalProxyPorts = NonNullable<ControlPlaneOptions['localDataPlane']>;

/** Replay never starts a local proxy: start-proxy/stop-proxy outcomes come from the log. */
export const NO_LOCAL_PROXIES: LocalProxyPorts = {
  'start-proxy': () => {
    throw new Error('replay starts no proxy');
  },
  'stop-proxy': () => {
    throw new Error('replay stops no proxy');
  },
  close: () => {},
} as unknown as LocalProxyPorts;

/** The data-plane templates provisioning uses, by backend: a recording stores only their image. */
export const DATA_PLANE_TEMPLATES: Readonly<
  Record<string, (options: { readonly image?: string }) => ProvisioningSettings['template']>
> = {
  envoy: envoyDataPlaneTemplate,
  agentgateway: agentgatewayDataPlaneTemplate,
};
