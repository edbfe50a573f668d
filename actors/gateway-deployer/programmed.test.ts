import { describe, expect, it } from 'vitest';
import type { BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { programmedFromBackend } from './programmed.ts';

const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'gw');
const listenerRefused = (name: string) => ({
  listener: { owner: gateway, name },
  severity: 'dropped' as const,
  message: `envoy proxy p1: Error adding/updating listener(s) tcp/80: cannot bind '0.0.0.0:80': Address already in use`,
});
const status = (refusals: BackendGatewayStatus['refusals']): BackendGatewayStatus =>
  ({
    type: 'backend.gateway.status',
    backend: 'envoy',
    gateway,
    revision: 4,
    translated: true,
    proxies: [{ proxy: 'p1', ackedRevision: 4 }],
    ...(refusals === undefined ? {} : { refusals }),
  }) as unknown as BackendGatewayStatus;

describe('Programmed from what the data plane runs', () => {
  it('is True for what is served, counting what was refused, and False when every listener was refused', () => {
    expect(programmedFromBackend(status([listenerRefused('a')]), 4, 2)).toMatchObject({
      status: 'True',
      message:
        'Revision 4 accepted by 1 envoy proxy; the rest is served, with 1 listener refused (see their status)',
    });
    const none = programmedFromBackend(status([listenerRefused('a'), listenerRefused('b')]), 4, 2);
    expect(none).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(none.message).toMatch(
      /^The data plane refused every listener of revision 4: envoy proxy p1: .*cannot bind/,
    );
  });

  it('is Pending while the backend finds what the data plane refuses', () => {
    expect(programmedFromBackend({ ...status(undefined), searching: 'finding' }, 4, 1)).toEqual({
      status: 'Unknown',
      reason: 'Pending',
      message: 'finding',
    });
  });
});
