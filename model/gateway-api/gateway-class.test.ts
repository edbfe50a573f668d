import { describe, expect, it } from 'vitest';
import type { GatewayClass } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, LATER, NOW, storeOf } from '../testdata/fixtures.ts';
import {
  CORE_HTTP_FEATURES,
  computeGatewayClassStatus,
  resolveGatewayClassParameters,
  SUPPORTED_FEATURES,
} from './gateway-class.ts';

const view = storeOf('base.yaml', 'gatewayclass.yaml');
const classNamed = (name: string): GatewayClass => view.get('GatewayClass', undefined, name) as GatewayClass;
const statusOf = (gatewayClass: GatewayClass, now = NOW) =>
  computeGatewayClassStatus(gatewayClass, view, { controllerName: CONTROLLER, now });

describe('GatewayClass status', () => {
  it('accepts a class of our controller and reports the supported version and features', () => {
    const status = statusOf(classNamed('switchyard'));
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(findCondition(status?.conditions, 'SupportedVersion')).toMatchObject({
      status: 'True',
      reason: 'SupportedVersion',
    });
    expect(status?.supportedFeatures?.map((f) => f.name)).toEqual([...SUPPORTED_FEATURES].sort());
  });

  it('claims the conformance-tested features for the Envoy backend only; another backend claims the core', () => {
    const agentgateway = statusOf(classNamed('with-parameters'));
    expect(findCondition(agentgateway?.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(agentgateway?.supportedFeatures?.map((f) => f.name)).toEqual([...CORE_HTTP_FEATURES]);
    expect(SUPPORTED_FEATURES).toEqual(expect.arrayContaining([...CORE_HTTP_FEATURES]));
  });

  it('leaves classes of other controllers alone', () => {
    expect(statusOf(classNamed('someone-else'))).toBeUndefined();
  });

  it.each([
    ['missing-parameters', /not found/],
    ['wrong-parameters-kind', /unsupported \/ConfigMap/],
    ['bad-parameters', /spec.backend: nginx/],
  ])('rejects %s with InvalidParameters naming the problem', (name, message) => {
    const accepted = findCondition(statusOf(classNamed(name))?.conditions, 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'InvalidParameters' });
    expect(accepted?.message).toMatch(message);
  });

  it('resolves our parameters with defaults filled in', () => {
    expect(resolveGatewayClassParameters(classNamed('with-parameters'), view)).toEqual({
      ok: true,
      parameters: {
        backend: 'agentgateway',
        dataPlane: { replicas: 2, serviceType: 'NodePort' },
        xds: { address: 'switchyard.switchyard-system.svc:18000' },
      },
    });
    expect(resolveGatewayClassParameters(classNamed('switchyard'), view)).toMatchObject({
      ok: true,
      parameters: { backend: 'envoy', dataPlane: { replicas: 1, serviceType: 'LoadBalancer' } },
    });
  });

  it('reports UnsupportedVersion for CRDs of another release', () => {
    const status = computeGatewayClassStatus(classNamed('switchyard'), view, {
      controllerName: CONTROLLER,
      now: NOW,
      installedBundleVersion: 'v1.2.0',
    });
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedVersion',
    });
    expect(findCondition(status?.conditions, 'SupportedVersion')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedVersion',
    });
  });

  // GatewayClassObservedGenerationBump: a spec change bumps observedGeneration; lastTransitionTime stays.
  it('follows a generation bump without moving lastTransitionTime', () => {
    const first = classNamed('switchyard');
    const written: GatewayClass = { ...first, status: statusOf(first) };
    const bumped: GatewayClass = {
      ...written,
      metadata: { ...written.metadata, generation: 2 },
      spec: { ...written.spec, description: 'changed' },
    };
    const accepted = findCondition(statusOf(bumped, LATER)?.conditions, 'Accepted');
    expect(accepted).toMatchObject({ status: 'True', observedGeneration: 2, lastTransitionTime: NOW });
  });
});
