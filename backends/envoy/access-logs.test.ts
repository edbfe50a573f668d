import { describe, expect, it } from 'vitest';
import { envoyProxyIR } from '../../model/policies/envoy-proxy.ts';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import { envoyProcessArgs } from './process-args.ts';
import { gatewayIR, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

describe('EnvoyProxy access logs', () => {
  const ports = [
    port(8080, [listener('web', 'HTTP', [route('r', [rule([service('s', [9000])])])])]),
    port(9000, [listener('tcp', 'TCP', [route('t', [rule([service('t', [9001])])], { kind: 'TCPRoute' })])]),
  ];

  it('adds no log without an EnvoyProxy', () => {
    const resources = translateGateway(gatewayIR(ports), {});
    expect(JSON.stringify(resources.listeners)).not.toContain('access_loggers.file');
  });

  it('logs routes on connection managers and TCP proxies, and unrouted connections on the listener', () => {
    const envoyProxy = envoyProxyIR(
      {
        telemetry: {
          accessLog: {
            settings: [
              {
                format: { type: 'Text', text: '%RESPONSE_CODE% %REQ(:PATH)%' },
                sinks: [{ type: 'File', file: { path: '/tmp/routes.log' } }],
              },
              { format: { type: 'JSON', json: { code: '%RESPONSE_CODE%' } }, type: 'Listener' },
            ],
          },
        },
      },
      [],
    );
    const resources = translateGateway({ ...gatewayIR(ports), envoyProxy }, {});
    for (const json of Object.values(resources.listeners)) envoyApi().encode(TYPE_URL.listener, json);
    const http = resources.listeners['tcp/8080'] as {
      accessLog: unknown[];
      filterChains: { filters: { typedConfig: { accessLog: unknown[] } }[] }[];
    };
    expect(http.filterChains[0]?.filters[0]?.typedConfig.accessLog).toEqual([
      {
        name: 'envoy.access_loggers.file',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path: '/tmp/routes.log',
          logFormat: { textFormatSource: { inlineString: '%RESPONSE_CODE% %REQ(:PATH)%\n' } },
        },
      },
    ]);
    // The untyped text log records unrouted connections at the listener too; the Listener JSON log only there.
    expect(http.accessLog).toEqual([
      expect.objectContaining({ filter: { responseFlagFilter: { flags: ['NR'] } } }),
      {
        name: 'envoy.access_loggers.file',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path: '/dev/stdout',
          logFormat: { jsonFormat: { code: '%RESPONSE_CODE%' } },
        },
      },
    ]);
    expect(JSON.stringify(resources.listeners['tcp/9000'])).toContain('/tmp/routes.log');
  });
});

describe('Envoy command line from an EnvoyProxy', () => {
  it('is the default level without one, and levels, threads and extra arguments with one', () => {
    expect(envoyProcessArgs(undefined, 'info')).toEqual(['--log-level', 'info']);
    expect(
      envoyProcessArgs(
        envoyProxyIR(
          {
            logging: { level: { default: 'error', upstream: 'debug', http: 'trace' } },
            concurrency: 2,
            extraArgs: ['--drain-time-s', '3'],
          },
          [],
        ),
        'info',
      ),
    ).toEqual([
      '--log-level',
      'error',
      '--component-log-level',
      'http:trace,upstream:debug',
      '--concurrency',
      '2',
      '--drain-time-s',
      '3',
    ]);
  });
});
