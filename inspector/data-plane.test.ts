import { describe, expect, it } from 'vitest';
import { joinDataPlane, type ProxyConnectionView, shortTypeName } from './data-plane.ts';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const edge = { namespace: 'apps', name: 'edge' };

describe('joinDataPlane', () => {
  it("joins the backend's report of each proxy with its open stream and what it holds", () => {
    const [gateway] = joinDataPlane(
      [
        {
          gateway: edge,
          backend: 'backend.envoy',
          revision: 3,
          proxies: [
            { proxy: 'envoy-a', ackedRevision: 3 },
            { proxy: 'envoy-b', ackedRevision: 2, rejection: 'cannot bind 0.0.0.0:80' },
            { proxy: 'envoy-gone', ackedRevision: 1 },
          ],
        },
      ],
      {
        connections: (): ProxyConnectionView[] => [
          { gateway: edge, proxy: 'envoy-a', protocol: 'delta', accepted: { [CLUSTER]: 2, [LISTENER]: 1 } },
          { gateway: edge, proxy: 'envoy-b', protocol: 'sotw', accepted: { [LISTENER]: 0 } },
          { gateway: edge, proxy: 'envoy-new', protocol: 'delta', accepted: {} },
          {
            gateway: { namespace: 'apps', name: 'other' },
            proxy: 'elsewhere',
            protocol: 'delta',
            accepted: {},
          },
        ],
        served: (g) => (g.name === 'edge' ? { [LISTENER]: 1, [CLUSTER]: 2 } : undefined),
      },
    );
    expect(gateway).toEqual({
      gateway: edge,
      backend: 'backend.envoy',
      revision: 3,
      served: [
        { type: 'Listener', count: 1 },
        { type: 'Cluster', count: 2 },
      ],
      proxies: [
        {
          proxy: 'envoy-a',
          connected: true,
          protocol: 'delta',
          resources: [
            { type: 'Listener', count: 1 },
            { type: 'Cluster', count: 2 },
          ],
          ackedRevision: 3,
        },
        {
          proxy: 'envoy-b',
          connected: true,
          protocol: 'sotw',
          resources: [{ type: 'Listener', count: 0 }],
          ackedRevision: 2,
          rejection: 'cannot bind 0.0.0.0:80',
        },
        { proxy: 'envoy-gone', connected: false, ackedRevision: 1 },
        { proxy: 'envoy-new', connected: true, protocol: 'delta', resources: [] },
      ],
    });
  });

  it('leaves connected unknown where no xDS server is attached (a replay)', () => {
    const [gateway] = joinDataPlane(
      [{ gateway: edge, proxies: [{ proxy: 'envoy-a', ackedRevision: 1 }] }],
      {},
    );
    expect(gateway?.proxies).toEqual([{ proxy: 'envoy-a', connected: undefined, ackedRevision: 1 }]);
  });

  it('names types by their last segment', () => {
    expect(shortTypeName(LISTENER)).toBe('Listener');
    expect(shortTypeName('type.googleapis.com/agentgateway.dev.resource.Resource')).toBe('Resource');
  });
});
