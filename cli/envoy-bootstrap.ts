import { stringify } from 'yaml';
import type { XdsTlsOptions } from '../backends/envoy/bootstrap.ts';
import { envoyBootstrap } from '../backends/envoy/index.ts';
import { resourceKey } from '../model/resources/resource-key.ts';
import type { Command } from './command.ts';
import { parseAddress, readPemFlag, UsageError } from './options.ts';

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
    'xds-ca': {
      kind: 'string',
      valueLabel: '<file>',
      description: 'reach the xDS server over TLS, trusting this CA (PEM, put inline in the bootstrap)',
    },
    'xds-server-name': {
      kind: 'string',
      valueLabel: '<name>',
      description: 'name the xDS server certificate must carry (default: the host of --xds)',
    },
    'xds-client-cert': {
      kind: 'string',
      valueLabel: '<path>',
      description: 'mutual TLS: the proxy certificate file, as the path Envoy will read it from',
    },
    'xds-client-key': {
      kind: 'string',
      valueLabel: '<path>',
      description: 'mutual TLS: the proxy private key file, as the path Envoy will read it from',
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
    const xds = values.xds as string | undefined;
    if (gateway === undefined || !/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(gateway)) {
      throw new UsageError('--gateway: expected <namespace>/<name> of the Gateway, e.g. default/quickstart');
    }
    if (xds === undefined)
      throw new UsageError('--xds: required, the controller’s xDS address, e.g. 127.0.0.1:18000');
    parseAddress(xds, '--xds');
    const [namespace, name] = gateway.split('/') as [string, string];
    const tls = xdsTls(values);
    const bootstrap = envoyBootstrap({
      gateway: resourceKey('gateway.networking.k8s.io', 'Gateway', namespace, name),
      xdsAddress: xds,
      adminPort: values['admin-port'] as number,
      delta: !(values.sotw as boolean),
      ...(values['node-id'] === undefined ? {} : { nodeId: values['node-id'] as string }),
      ...(tls === undefined ? {} : { tls }),
    });
    io.stdout.write(
      values.output === 'json'
        ? `${JSON.stringify(bootstrap, null, 2)}\n`
        : stringify(bootstrap, { aliasDuplicateObjects: false }),
    );
    return 0;
  },
};

function xdsTls(values: Readonly<Record<string, unknown>>): XdsTlsOptions | undefined {
  const caFile = values['xds-ca'] as string | undefined;
  const serverName = values['xds-server-name'] as string | undefined;
  const cert = values['xds-client-cert'] as string | undefined;
  const key = values['xds-client-key'] as string | undefined;
  if (caFile === undefined) {
    const stray = [
      ['xds-server-name', serverName],
      ['xds-client-cert', cert],
      ['xds-client-key', key],
    ].find(([, value]) => value !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray[0]}: needs --xds-ca (TLS to the xDS server)`);
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      cert === undefined
        ? '--xds-client-key: needs --xds-client-cert'
        : '--xds-client-cert: needs --xds-client-key',
    );
  }
  const pem = readPemFlag('xds-ca', caFile);
  return {
    ca: { pem },
    ...(serverName === undefined ? {} : { serverName }),
    ...(cert === undefined || key === undefined ? {} : { client: { certificateFile: cert, keyFile: key } }),
  };
}
