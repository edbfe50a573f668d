// The bootstrap `switchyard envoy-bootstrap` prints, checked by the real Envoy binary (--mode validate).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { provisionedEnvoyBootstrap } from '../../backends/envoy/data-plane-template.ts';
import { envoyBootstrap } from '../../backends/envoy/index.ts';
import { gatewayKey } from '../../backends/envoy/testdata/gateway-ir.ts';
import { createTestCertificates } from '../harness/echo/index.ts';
import { provisionEnvoy } from '../provision/envoy.ts';

describe('envoyBootstrap with the real Envoy', () => {
  test.each([true, false])('Envoy validates the bootstrap (delta: %s)', async (delta) => {
    const binary = await provisionEnvoy();
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-bootstrap-'));
    try {
      const file = join(dir, 'bootstrap.json');
      await writeFile(
        file,
        JSON.stringify(
          envoyBootstrap({ gateway: gatewayKey('web', 'shop'), xdsAddress: '127.0.0.1:18000', delta }),
        ),
      );
      const { stdout, stderr } = await promisify(execFile)(
        binary,
        ['--mode', 'validate', '-c', file, '--disable-hot-restart'],
        {
          timeout: 60_000,
        },
      );
      expect(`${stdout}${stderr}`).toContain('OK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('Envoy validates a provisioned data plane’s bootstrap with xDS over TLS', async () => {
    const binary = await provisionEnvoy();
    const { caCert } = await createTestCertificates(['switchyard.switchyard-system.svc']);
    const bootstrap = provisionedEnvoyBootstrap(
      gatewayKey('web', 'shop'),
      'switchyard.switchyard-system.svc:18000',
      caCert,
    );
    const cluster = (bootstrap.staticResources as { clusters: { name: string; transportSocket?: unknown }[] })
      .clusters[0];
    expect(JSON.stringify(cluster?.transportSocket)).toContain('"sni":"switchyard.switchyard-system.svc"');
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-bootstrap-'));
    try {
      const file = join(dir, 'bootstrap.json');
      await writeFile(file, JSON.stringify(bootstrap));
      const { stdout, stderr } = await promisify(execFile)(
        binary,
        ['--mode', 'validate', '-c', file, '--disable-hot-restart', '--service-node', 'pod-1'],
        { timeout: 60_000 },
      );
      expect(`${stdout}${stderr}`).toContain('OK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
