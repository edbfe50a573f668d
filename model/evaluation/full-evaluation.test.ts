import { describe, expect, it } from 'vitest';
import { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests } from '../testdata/fixtures.ts';
import { evaluateAll } from './full-evaluation.ts';

const FILES = [
  'base.yaml',
  'http-routes.yaml',
  'l4-and-grpc-routes.yaml',
  'listener-sets.yaml',
  'backend-tls.yaml',
];

describe('evaluateAll', () => {
  it('writes status only for objects of our controller and builds an IR per Gateway we own', () => {
    const result = evaluateAll(new ResourceStore(readManifests(...FILES)), {
      controllerName: CONTROLLER,
      now: NOW,
    });
    const keys = [...result.statuses.keys()];
    expect(keys).toContain('gateway.networking.k8s.io/GatewayClass//switchyard');
    expect(keys).not.toContain('gateway.networking.k8s.io/GatewayClass//someone-else');
    expect(keys).not.toContain('gateway.networking.k8s.io/Gateway/infra/foreign');
    expect(keys).toContain('gateway.networking.k8s.io/ListenerSet/apps/team-a');
    expect(keys).toContain('gateway.networking.k8s.io/BackendTLSPolicy/infra/secure-tls');
    expect(keys).toEqual([...keys].sort());
    expect([...result.irs.keys()]).toEqual([
      'gateway.networking.k8s.io/Gateway/infra/closed',
      'gateway.networking.k8s.io/Gateway/infra/mixed',
      'gateway.networking.k8s.io/Gateway/infra/same-namespace-only',
      'gateway.networking.k8s.io/Gateway/infra/shared',
      'gateway.networking.k8s.io/Gateway/infra/tls-routes-only',
      'gateway.networking.k8s.io/Gateway/infra/web',
    ]);
  });

  it('gives the same answer whatever order the objects arrived in', () => {
    const objects = readManifests(...FILES);
    const forward = evaluateAll(new ResourceStore(objects), { controllerName: CONTROLLER, now: NOW });
    const backward = evaluateAll(new ResourceStore([...objects].reverse()), {
      controllerName: CONTROLLER,
      now: NOW,
    });
    expect(JSON.stringify([...backward.statuses])).toBe(JSON.stringify([...forward.statuses]));
    expect(JSON.stringify([...backward.irs])).toBe(JSON.stringify([...forward.irs]));
  });
});
