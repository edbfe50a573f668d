import { describe, expect, it } from 'vitest';
import { ResourceStore } from '../shared/resource-view.ts';
import { gatewayDataPlaneVerdict, isOrphaned, type ProvisionedObjectRef } from './data-plane-sweep.ts';

const object = (controllerName?: string, name = 'switchyard-edge'): ProvisionedObjectRef => ({
  kind: 'Service',
  namespace: 'apps',
  name,
  uid: 'u',
  gateway: 'edge',
  ...(controllerName === undefined ? {} : { controllerName }),
});

describe('data-plane sweep', () => {
  it('judges a Gateway as the deployer does: absent, ours and accepted, or otherwise', () => {
    const gateway = (name: string, className: string, extra = {}) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: 'apps' },
      spec: {
        gatewayClassName: className,
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }],
        ...extra,
      },
    });
    const store = new ResourceStore([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'sy' },
        spec: { controllerName: 'c' },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'x' },
        spec: { controllerName: 'other' },
      },
      gateway('live', 'sy'),
      gateway('foreign', 'x'),
      gateway('classless', 'missing'),
      gateway('noListener', 'sy', { listeners: [] }),
    ] as never);
    expect(gatewayDataPlaneVerdict(store, 'c', 'apps', 'live')).toBe('wanted');
    expect(gatewayDataPlaneVerdict(store, 'c', 'apps', 'foreign')).toBe('unwanted');
    expect(gatewayDataPlaneVerdict(store, 'c', 'apps', 'classless')).toBe('unwanted');
    expect(gatewayDataPlaneVerdict(store, 'c', 'apps', 'noListener')).toBe('unwanted');
    expect(gatewayDataPlaneVerdict(store, 'c', 'other-ns', 'live')).toBe('absent');
  });

  it('deletes ours unless wanted, unannotated ones only for an absent Gateway, another controller’s never', () => {
    const table = (['wanted', 'unwanted', 'absent'] as const).map((verdict) => [
      isOrphaned(object('c'), 'c', verdict),
      isOrphaned(object(undefined), 'c', verdict),
      isOrphaned(object('other'), 'c', verdict),
      isOrphaned(object('c', 'switchyard-other'), 'c', verdict),
    ]);
    expect(table).toEqual([
      [false, false, false, false],
      [true, false, false, false],
      [true, true, false, false],
    ]);
  });
});
