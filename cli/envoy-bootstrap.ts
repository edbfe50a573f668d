import { stringify } from 'yaml';
import { envoyBootstrap } from '../backends/envoy/index.ts';
import { resourceKey } from '../model/resource-key.ts';
import type { Command } from './command.ts';
import { parseAddress, UsageError } from './options.ts';

/** `switchyard envoy-bootstrap`: the bootstrap an Envoy needs to serve one Gateway from our ADS server. */
export const envoyBootstrapCommand: Command = {
  name: 'envoy-bootstrap',
  summary: 'print the bootstrap for an Envoy that serves one Gateway from the controller’s xDS server',
  usage: 'switchyard envoy-bootstrap --gateway <namespace>/<name> --xds <host:port> [-o yaml|json]',
  options: {
    gateway: {
      kind: 'string',
      valueLabel: '<namespace>/<name>',
      description: 'the Gateway this Envoy serves',
    },
    xds: {
      kind: 'address',
      valueLabel: '<host:port>',
      description: 'address of the controller’s xDS server',
    },
    'node-id': {
      kind: 'string',
      valueLabel: '<name>',
      description: 'the proxy’s own name (default <namespace>-<gateway>)',
    },
    'admin-port': {
      kind: 'integer',
      min: 0,
      max: 65535,
      default: 19000,
      description: 'Envoy admin port on 127.0.0.1 (0: any)',
    },
    sotw: { kind: 'boolean', default: false, description: 'use state-of-the-world ADS instead of delta' },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
  },
  async run(parsed, io) {
    const values = parsed.values;
    const gateway = values.gateway as string | undefined;
    const xds = values.xds as string | undefined;
    if (gateway === undefined || !/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(gateway)) {
      throw new UsageError('--gateway: expected <namespace>/<name> of the Gateway, e.g. default/quickstart');
    }
    if (xds === undefined)
      throw new UsageError('--xds: required, the controller’s xDS address, e.g. 127.0.0.1:18000');
    parseAddress(xds, '--xds');
    const [namespace, name] = gateway.split('/') as [string, string];
    const bootstrap = envoyBootstrap({
      gateway: resourceKey('gateway.networking.k8s.io', 'Gateway', namespace, name),
      xdsAddress: xds,
      adminPort: values['admin-port'] as number,
      delta: !(values.sotw as boolean),
      ...(values['node-id'] === undefined ? {} : { nodeId: values['node-id'] as string }),
    });
    io.stdout.write(
      values.output === 'json'
        ? `${JSON.stringify(bootstrap, null, 2)}\n`
        : stringify(bootstrap, { aliasDuplicateObjects: false }),
    );
    return 0;
  },
};
