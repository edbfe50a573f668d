import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli as run } from './testdata/run-cli.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('xDS over TLS on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-xds-tls-flags-'));
  const ca = join(dir, 'ca.crt');
  const notPem = join(dir, 'notes.txt');
  writeFileSync(ca, PEM);
  writeFileSync(notPem, 'hello');

  it('envoy-bootstrap puts the CA inline, checks the server name and points at the client certificate', async () => {
    const { code, stdout } = await run([
      'envoy-bootstrap',
      '--gateway',
      'shop/web',
      '--xds',
      'switchyard.switchyard-system:18000',
      '--xds-ca',
      ca,
      '--xds-client-cert',
      '/etc/switchyard/tls.crt',
      '--xds-client-key',
      '/etc/switchyard/tls.key',
    ]);
    expect(code).toBe(0);
    const bootstrap = parse(stdout) as {
      staticResources: { clusters: { transportSocket?: { typedConfig: Record<string, unknown> } }[] };
    };
    expect(bootstrap.staticResources.clusters[0]?.transportSocket?.typedConfig).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'switchyard.switchyard-system',
      commonTlsContext: {
        alpnProtocols: ['h2'],
        validationContext: {
          trustedCa: { inlineString: PEM },
          matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { exact: 'switchyard.switchyard-system' } }],
        },
        tlsCertificates: [
          {
            certificateChain: { filename: '/etc/switchyard/tls.crt' },
            privateKey: { filename: '/etc/switchyard/tls.key' },
          },
        ],
      },
    });
  });

  it.each([
    [['--xds-client-cert', '/x.crt'], '--xds-client-cert: needs --xds-ca'],
    [['--xds-ca', join(dir, 'missing.crt')], '--xds-ca: cannot read'],
    [['--xds-ca', notPem], 'holds no PEM certificate'],
    [['--xds-ca', ca, '--xds-client-cert', '/x.crt'], '--xds-client-cert: needs --xds-client-key'],
  ])('envoy-bootstrap %j → exit 2 naming the flag', async (flags, message) => {
    const { code, stderr } = await run([
      'envoy-bootstrap',
      '--gateway',
      'a/b',
      '--xds',
      '127.0.0.1:1',
      ...flags,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it.each([
    [['--xds-tls-cert', ca], '--xds-tls-cert: needs --xds-tls-key'],
    [['--xds-tls-client-ca', ca], '--xds-tls-client-ca: needs --xds-tls-cert and --xds-tls-key'],
    [['--xds-tls-cert', join(dir, 'missing.crt'), '--xds-tls-key', notPem], '--xds-tls-cert: cannot read'],
    [['--xds-tls-cert', ca, '--xds-tls-key', notPem], `--xds-tls-key: ${notPem} holds no PEM private key`],
  ])('controller %j → exit 2 naming the flag, before anything starts', async (flags, message) => {
    const { code, stderr } = await run(['controller', '--files', dir, '--inspector', 'off', ...flags]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it.each([
    [['--xds-tls-cert', ca, '--xds-tls-key', ca], '--data-plane-xds-ca <file>'],
    [
      ['--xds-tls-cert', ca, '--xds-tls-key', ca, '--data-plane-xds-ca', ca, '--xds-tls-client-ca', ca],
      '--xds-tls-client-ca: provisioned Envoys have no client certificates',
    ],
    [['--data-plane-xds-ca', notPem], '--data-plane-xds-ca: '],
  ])(
    'controller in a cluster %j → exit 2: provisioned proxies could not reach xDS',
    async (flags, message) => {
      const { code, stderr } = await run(['controller', '--inspector', 'off', ...flags]);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    },
  );
});
