// What `switchyard controller` adds in a cluster: data-plane provisioning settings per backend, and leader
// election (sources/kubernetes/lease.ts) gating every write to the API server. Kept apart from controller.ts so
// the command only spreads the options and calls `clusterMode`. See docs/operations.md.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import {
  agentgatewayDataPlaneTemplate,
  DEFAULT_AGENTGATEWAY_IMAGE,
} from '../backends/agentgateway/data-plane-template.ts';
import { DEFAULT_ENVOY_IMAGE, envoyDataPlaneTemplate } from '../backends/envoy/data-plane-template.ts';
import type { ProvisioningSettings } from '../model/provisioning/provisioning.ts';
import type { KubeClient } from '../sources/kubernetes/client.ts';
import {
  DEFAULT_EXTPROC_CONFIG_SECRET,
  DEFAULT_MCP_CONFIG_SECRET,
  parseSecretTarget,
  type SecretTarget,
} from '../sources/kubernetes/extproc-config-writer.ts';
import { LeaderElector } from '../sources/kubernetes/lease.ts';
import { type OptionTable, type OptionValue, readPemFlag, UsageError } from './options.ts';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const CLUSTER_MODE_OPTIONS: OptionTable = {
  provision: {
    kind: 'enum',
    values: ['true', 'false'],
    default: 'true',
    description:
      'Kubernetes mode: provision a ServiceAccount, ConfigMap, Deployment and Service for each accepted Gateway',
  },
  'data-plane-xds-address': {
    kind: 'string',
    default: 'switchyard.switchyard-system.svc:18000',
    valueLabel: '<host:port>',
    description:
      'Kubernetes mode: the xDS address written into provisioned proxies’ bootstrap (GatewayClassParameters spec.xds.address overrides it)',
  },
  'data-plane-xds-ca': {
    kind: 'string',
    valueLabel: '<file>',
    description:
      'Kubernetes mode with --xds-tls-cert: the CA (PEM) that signed it, put in provisioned Envoys’ bootstrap so they reach xDS over TLS',
  },
  'envoy-image': {
    kind: 'string',
    default: DEFAULT_ENVOY_IMAGE,
    valueLabel: '<image>',
    description:
      'Kubernetes mode: provisioned Envoy image (GatewayClassParameters spec.dataPlane.image overrides it)',
  },
  'agentgateway-image': {
    kind: 'string',
    default: DEFAULT_AGENTGATEWAY_IMAGE,
    valueLabel: '<image>',
    description:
      'Kubernetes mode: provisioned agentgateway image (GatewayClassParameters spec.dataPlane.image overrides it)',
  },
  'agentgateway-data-plane-xds-address': {
    kind: 'string',
    default: 'switchyard.switchyard-system.svc:18001',
    valueLabel: '<host:port>',
    description:
      'Kubernetes mode: the agentgateway xDS address (the controller’s --agentgateway-xds-address as the proxies reach it) written into provisioned agentgateway configs (GatewayClassParameters spec.xds.address overrides it)',
  },
  'leader-elect': {
    kind: 'enum',
    values: ['true', 'false'],
    default: 'true',
    description:
      'Kubernetes mode: only the replica holding the Lease writes statuses, finalizers and provisioned objects',
  },
  'leader-election-namespace': {
    kind: 'string',
    valueLabel: '<namespace>',
    description: 'namespace of the Lease (default: the pod’s namespace, else switchyard-system)',
  },
  'leader-election-name': {
    kind: 'string',
    default: 'switchyard-leader',
    valueLabel: '<name>',
    description: 'name of the coordination.k8s.io Lease',
  },
  'extproc-config-secret': {
    kind: 'string',
    valueLabel: '<namespace>/<name>|off',
    description: `Kubernetes mode: server-side apply the AI Gateway ext_proc configuration (credentials included) to this Secret, which the \`switchyard extproc\` Deployment mounts (default: the pod’s namespace/${DEFAULT_EXTPROC_CONFIG_SECRET})`,
  },
  'mcp-config-secret': {
    kind: 'string',
    valueLabel: '<namespace>/<name>|off',
    description: `Kubernetes mode: server-side apply the MCP proxy configuration (credentials included) to this Secret, which the \`switchyard mcp\` Deployment mounts (default: the pod’s namespace/${DEFAULT_MCP_CONFIG_SECRET})`,
  },
};

export interface ClusterMode {
  readonly provisioning?: Readonly<Record<string, ProvisioningSettings>>;
  readonly whenLeader?: () => Promise<boolean>;
  readonly elector?: LeaderElector;
  /** Where the ext_proc configuration is applied (`--extproc-config-secret`); undefined when `off`. */
  readonly extProcConfigSecret?: SecretTarget;
  /** Where the MCP proxy configuration is applied (`--mcp-config-secret`); undefined when `off`. */
  readonly mcpConfigSecret?: SecretTarget;
  /** Registers `switchyard_leader` (1 while this replica leads or leader election is off). */
  registerMetrics(registry: Registry): void;
  /** Starts the election (after the control plane started). */
  start(): void;
  /** Stops the election, releasing the Lease if held. */
  stop(): Promise<void>;
}

/**
 * Flag combinations that would leave provisioned proxies unable to reach xDS, refused before anything starts:
 * TLS needs the CA for their bootstrap, and mutual TLS needs client certificates they do not have.
 */
export function checkClusterModeFlags(values: Readonly<Record<string, OptionValue>>): void {
  const ca = values['data-plane-xds-ca'] as string | undefined;
  if (ca !== undefined) readPemFlag('data-plane-xds-ca', ca);
  if (values.provision === 'false' || values.files !== undefined) return;
  if (values['xds-tls-client-ca'] !== undefined) {
    throw new UsageError(
      '--xds-tls-client-ca: provisioned Envoys have no client certificates; serve xDS with server TLS only, or use --provision false',
    );
  }
  if (values['xds-tls-cert'] !== undefined && ca === undefined) {
    throw new UsageError(
      '--xds-tls-cert: provisioned Envoys need the CA that signed it; pass --data-plane-xds-ca <file> (or --provision false)',
    );
  }
}

export function clusterMode(
  client: KubeClient,
  values: Readonly<Record<string, OptionValue>>,
  logger: Logger,
): ClusterMode {
  const provisioning =
    values.provision === 'false'
      ? undefined
      : {
          envoy: {
            template: envoyDataPlaneTemplate({
              image: values['envoy-image'] as string,
              ...(values['data-plane-xds-ca'] === undefined
                ? {}
                : { xdsCa: readPemFlag('data-plane-xds-ca', values['data-plane-xds-ca'] as string) }),
            }),
            xdsAddress: values['data-plane-xds-address'] as string,
          },
          agentgateway: {
            template: agentgatewayDataPlaneTemplate({ image: values['agentgateway-image'] as string }),
            xdsAddress: values['agentgateway-data-plane-xds-address'] as string,
          },
        };
  const elector =
    values['leader-elect'] === 'false'
      ? undefined
      : new LeaderElector(client, {
          namespace: (values['leader-election-namespace'] as string | undefined) ?? podNamespace(),
          name: values['leader-election-name'] as string,
          identity: `${process.env.POD_NAME ?? hostname()}_${process.pid}`,
          onChange: (leading) => logger.info({ leading }, leading ? 'became the leader' : 'stopped leading'),
          onError: (error) => logger.warn({ err: error }, 'leader election: API request failed'),
        });
  const extProcConfigSecret = extProcConfigSecretOption(values);
  const mcpConfigSecret = mcpConfigSecretOption(values);
  return {
    ...(provisioning === undefined ? {} : { provisioning }),
    ...(extProcConfigSecret === undefined ? {} : { extProcConfigSecret }),
    ...(mcpConfigSecret === undefined ? {} : { mcpConfigSecret }),
    ...(elector === undefined ? {} : { elector, whenLeader: () => elector.whenLeader() }),
    registerMetrics(registry) {
      new Gauge({
        name: 'switchyard_leader',
        help: '1 while this replica writes to the API server (holds the Lease, or leader election is off)',
        registers: [registry],
        collect() {
          this.set(elector === undefined || elector.isLeader ? 1 : 0);
        },
      });
    },
    start() {
      elector?.start();
    },
    async stop() {
      await elector?.stop();
    },
  };
}

/** `--extproc-config-secret`, checked (the controller calls this before it starts anything). */
export function extProcConfigSecretOption(
  values: Readonly<Record<string, OptionValue>>,
): SecretTarget | undefined {
  const flag = values['extproc-config-secret'] as string | undefined;
  if (flag === 'off') return undefined;
  if (flag === undefined) return { namespace: podNamespace(), name: DEFAULT_EXTPROC_CONFIG_SECRET };
  try {
    return parseSecretTarget(flag);
  } catch (error) {
    throw new UsageError(`--extproc-config-secret: ${(error as Error).message}, or off`);
  }
}

/** `--mcp-config-secret`, checked like `--extproc-config-secret`. */
export function mcpConfigSecretOption(
  values: Readonly<Record<string, OptionValue>>,
): SecretTarget | undefined {
  const flag = values['mcp-config-secret'] as string | undefined;
  if (flag === 'off') return undefined;
  if (flag === undefined) return { namespace: podNamespace(), name: DEFAULT_MCP_CONFIG_SECRET };
  try {
    return parseSecretTarget(flag);
  } catch (error) {
    throw new UsageError(`--mcp-config-secret: ${(error as Error).message}, or off`);
  }
}

function podNamespace(): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  return 'switchyard-system';
}
