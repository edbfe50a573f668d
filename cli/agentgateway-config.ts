import { stringify } from 'yaml';
import { agentgatewayConfig } from '../backends/agentgateway/index.ts';
import { resourceKey } from '../model/resources/resource-key.ts';
import type { Command } from './command.ts';
import { parseAddress, UsageError } from './options.ts';

/** `switchyard agentgateway-config`: the config a local agentgateway needs to serve one Gateway from our xDS. */
export const agentgatewayConfigCommand: Command = {
  name: 'agentgateway-config',
  summary: 'print the config for an agentgateway that serves one Gateway from the controller’s xDS server',
  usage:
    'switchyard agentgateway-config --gateway <namespace>/<name> [--xds-address <host:port>] [-o yaml|json]',
  options: {
    gateway: {
      kind: 'string',
      valueLabel: '<namespace>/<name>',
      description: 'the Gateway this agentgateway serves',
    },
    'xds-address': {
      kind: 'address',
      default: '127.0.0.1:18001',
      valueLabel: '<host:port>',
      description: 'address of the controller’s agentgateway xDS server (its --agentgateway-xds-address)',
    },
    'admin-address': {
      kind: 'address',
      valueLabel: '<host:port>',
      description: 'the proxy’s admin address (default: agentgateway’s own)',
    },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
  },
  endsOnStop: () => true,
  async run(parsed, io) {
    const values = parsed.values;
    const gateway = values.gateway as string | undefined;
    if (gateway === undefined || !/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(gateway)) {
      throw new UsageError('--gateway: expected <namespace>/<name> of the Gateway, e.g. default/quickstart');
    }
    const xds = values['xds-address'] as string;
    parseAddress(xds, '--xds-address');
    const admin = values['admin-address'] as string | undefined;
    if (admin !== undefined) parseAddress(admin, '--admin-address');
    const [namespace, name] = gateway.split('/') as [string, string];
    const config = agentgatewayConfig({
      gateway: resourceKey('gateway.networking.k8s.io', 'Gateway', namespace, name),
      xdsAddress: xds,
      ...(admin === undefined ? {} : { adminAddress: admin }),
    });
    io.stdout.write(
      values.output === 'json'
        ? `${JSON.stringify(config, null, 2)}\n`
        : stringify(config, { aliasDuplicateObjects: false }),
    );
    return 0;
  },
};
