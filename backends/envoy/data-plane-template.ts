// How the Envoy data plane of one Gateway runs in a cluster (model/provisioning/provisioning.ts builds the objects): the
// image, the bootstrap from `envoyBootstrap` mounted from the ConfigMap, the pod name as node id, and a readiness
// endpoint on the pod's address. Envoy's /ready is an admin endpoint and admin stays on loopback (it can also
// quit the server), so a static listener on READINESS_PORT forwards GET /ready, and nothing else, to it.
import type { DataPlaneTemplate } from '../../model/provisioning/provisioning.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { envoyBootstrap } from './bootstrap.ts';
import { envoyProcessArgs } from './process-args.ts';

export const DEFAULT_ENVOY_IMAGE = 'envoyproxy/envoy:v1.40.0';
/** The readiness listener's port in every provisioned Envoy: a Gateway listener cannot use it. */
export const READINESS_PORT = 19001;
const ADMIN_PORT = 19000;
const ADMIN_CLUSTER = 'switchyard-admin';
const CONFIG_DIRECTORY = '/etc/switchyard';
const BOOTSTRAP_FILE = 'envoy.json';

export function envoyDataPlaneTemplate(
  options: {
    readonly image?: string;
    /** PEM of the CA that signed the controller's xDS certificate: provisioned proxies then use TLS. */
    readonly xdsCa?: string;
  } = {},
): DataPlaneTemplate {
  return {
    image: options.image ?? DEFAULT_ENVOY_IMAGE,
    bootstrapFile: BOOTSTRAP_FILE,
    configDirectory: CONFIG_DIRECTORY,
    // $(POD_NAME) is expanded by the kubelet from the container's env (model/provisioning/provisioning.ts sets it).
    args: ['--config-path', `${CONFIG_DIRECTORY}/${BOOTSTRAP_FILE}`, '--service-node', '$(POD_NAME)'],
    // Without an EnvoyProxy, info; with one, its levels (Envoy Gateway's default warn), threads, extra arguments.
    processArgs: (envoyProxy) => envoyProcessArgs(envoyProxy, 'info'),
    readiness: { path: '/ready', port: READINESS_PORT },
    bootstrap: (gateway, xdsAddress) =>
      `${JSON.stringify(provisionedEnvoyBootstrap(gateway, xdsAddress, options.xdsCa), null, 2)}\n`,
  };
}

/**
 * `envoyBootstrap` plus the readiness listener and the admin cluster it forwards to; with `xdsCa`, xDS over TLS
 * checking the controller's certificate for the host of `xdsAddress`.
 */
export function provisionedEnvoyBootstrap(
  gateway: ResourceKey,
  xdsAddress: string,
  xdsCa?: string,
): Record<string, unknown> {
  const bootstrap = envoyBootstrap({
    gateway,
    xdsAddress,
    adminPort: ADMIN_PORT,
    ...(xdsCa === undefined ? {} : { tls: { ca: { pem: xdsCa } } }),
  });
  const statics = (bootstrap.staticResources ?? {}) as { clusters?: unknown[]; listeners?: unknown[] };
  return {
    ...bootstrap,
    staticResources: {
      ...statics,
      listeners: [...(statics.listeners ?? []), readinessListener()],
      clusters: [...(statics.clusters ?? []), adminCluster()],
    },
  };
}

function readinessListener(): Record<string, unknown> {
  return {
    name: 'switchyard-readiness',
    address: { socketAddress: { address: '0.0.0.0', portValue: READINESS_PORT } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              statPrefix: 'switchyard_readiness',
              routeConfig: {
                name: 'switchyard-readiness',
                virtualHosts: [
                  {
                    name: 'readiness',
                    domains: ['*'],
                    routes: [{ match: { path: '/ready' }, route: { cluster: ADMIN_CLUSTER } }],
                  },
                ],
              },
              httpFilters: [
                {
                  name: 'envoy.filters.http.router',
                  typedConfig: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

function adminCluster(): Record<string, unknown> {
  return {
    name: ADMIN_CLUSTER,
    type: 'STATIC',
    connectTimeout: '1s',
    loadAssignment: {
      clusterName: ADMIN_CLUSTER,
      endpoints: [
        {
          lbEndpoints: [
            { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: ADMIN_PORT } } } },
          ],
        },
      ],
    },
  };
}
