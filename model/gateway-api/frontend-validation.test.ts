import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import type { Gateway } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { computeGatewayStatus } from './gateway-status.ts';

const store = storeOf('base.yaml', 'frontend-validation.yaml');
const gateway = store.get('Gateway', 'infra', 'mtls') as Gateway;
const status = computeGatewayStatus(gateway, store, {
  controllerName: CONTROLLER,
  now: NOW,
  attachedRoutes: new Map(),
});
const listener = (name: string) => status?.listeners?.find((l) => l.name === name)?.conditions;

describe('Gateway spec.tls.frontend client-certificate validation', () => {
  it('asks every HTTPS listener without a per-port entry for a certificate from the default CA', () => {
    const ir = buildGatewayIR(gateway, store, [], { controllerName: CONTROLLER });
    const https = ir?.ports.find((p) => p.port === 443)?.listeners[0];
    expect(https?.clientValidation).toEqual({
      mode: 'AllowValidOnly',
      caBundle: `${(store.get('ConfigMap', 'infra', 'client-ca')?.data?.['ca.crt'] ?? '').trim()}\n`,
    });
    expect(ir?.ports.find((p) => p.port === 80)?.listeners[0]?.clientValidation).toBeUndefined();
    expect(findCondition(listener('https'), 'Accepted')).toMatchObject({ status: 'True' });
  });

  it.each([
    ['unresolved', 'InvalidCACertificateRef', 'ConfigMap infra/missing not found'],
    ['invalid-kind', 'InvalidCACertificateKind', 'core/Service is not supported'],
    ['grant-missing', 'RefNotPermitted', 'ConfigMap apps/client-ca is in another namespace'],
  ])(
    '%s: no usable CA: Accepted False NoValidCACertificate, ResolvedRefs False %s, not programmed',
    (name, reason, why) => {
      expect(findCondition(listener(name), 'Accepted')).toMatchObject({
        status: 'False',
        reason: 'NoValidCACertificate',
      });
      expect(findCondition(listener(name), 'ResolvedRefs')).toMatchObject({
        status: 'False',
        reason,
        message: expect.stringContaining(why),
      });
      expect(findCondition(listener(name), 'Programmed')).toMatchObject({ status: 'False' });
    },
  );

  it('AllowInsecureFallback with one good CA: served, the broken reference reported, the Gateway flagged', () => {
    expect(findCondition(listener('fallback'), 'Accepted')).toMatchObject({ status: 'True' });
    expect(findCondition(listener('fallback'), 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCACertificateRef',
    });
    expect(findCondition(status?.conditions, 'InsecureFrontendValidationMode')).toMatchObject({
      status: 'True',
      reason: 'ConfigurationChanged',
    });
    const ir = buildGatewayIR(gateway, store, [], { controllerName: CONTROLLER });
    expect(ir?.ports.find((p) => p.port === 5443)?.listeners[0]?.clientValidation?.mode).toBe(
      'AllowInsecureFallback',
    );
  });
});
