// Random Gateway IR (fast-check, fixed seed) translated and pushed to a real Envoy: Envoy must accept every
// revision — the property test proves the resources encode, this proves Envoy takes them.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { translateGateway } from '../../backends/envoy/index.ts';
import { gatewayIR, secretKey, tlsMaterial } from '../../backends/envoy/testdata/gateway-ir.ts';
import { randomPorts } from '../../backends/envoy/testdata/random-ir.ts';
import { createTestCertificates } from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';

const REVISIONS = 25;

describe('random IR through a real Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let ports: number[];

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  test(`Envoy ACKs ${REVISIONS} random revisions, each replacing the last`, async () => {
    const certificate = await createTestCertificates(['random.test']);
    const tls = tlsMaterial(secretKey('cert'), certificate.cert, certificate.key);
    const samples = fc.sample(randomPorts(fc.constantFrom(...ports)), { numRuns: REVISIONS, seed: 20261124 });
    let first = true;
    let envoy: Envoy | undefined;
    for (const random of samples) {
      const ir = gatewayIR(random);
      const revision = await fixture.send(ir, tls);
      if (first) {
        envoy = await fixture.startEnvoy(ir.gateway, { nodeId: 'random' });
        first = false;
      }
      const status = await fixture.waitForStatus(
        (s) =>
          s.revision === revision &&
          s.proxies.some(
            (p) => p.proxy === 'random' && ((p.ackedRevision ?? 0) >= revision || p.rejection !== undefined),
          ),
        `Envoy answers revision ${revision}`,
      );
      const proxy = status.proxies.find((p) => p.proxy === 'random');
      expect({
        revision,
        rejection: proxy?.rejection,
        ir: proxy?.rejection === undefined ? undefined : random,
      }).toEqual({
        revision,
        rejection: undefined,
        ir: undefined,
      });
      // Envoy really runs this revision: its listeners are the ones translated, none failed to bind.
      const dump = await envoy!.admin.configDump('dynamic_listeners');
      expect(dump.configs.filter((c) => c.error_state !== undefined)).toEqual([]);
      const active = dump.configs
        .filter((c) => c.active_state !== undefined || c.warming_state !== undefined)
        .map((c) => String(c.name))
        .sort();
      expect(active).toEqual(Object.keys(translateGateway(ir, tls).listeners).sort());
    }
  });
});
