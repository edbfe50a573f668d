import { describe, expect, it } from 'vitest';
import { gatewayKey } from '../envoy/testdata/gateway-ir.ts';
import { gatewayOfNode, roleOf } from './node-identity.ts';

const struct = (fields: Record<string, string>) => ({
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { stringValue: v }])),
});

describe('agentgateway node identity', () => {
  it('reads GATEWAY_NAME and NAMESPACE from Node.metadata', () => {
    expect(gatewayOfNode({ metadata: struct({ GATEWAY_NAME: 'gw', NAMESPACE: 'apps' }) })).toEqual({
      ok: true,
      gateway: gatewayKey('gw', 'apps'),
    });
  });

  it('falls back to role <namespace>~<gateway>', () => {
    expect(gatewayOfNode({ metadata: struct({ role: roleOf(gatewayKey('gw', 'apps')) }) })).toEqual({
      ok: true,
      gateway: gatewayKey('gw', 'apps'),
    });
  });

  it('names the convention when the metadata does not identify a Gateway', () => {
    for (const node of [
      null,
      { metadata: struct({ GATEWAY_NAME: 'gw' }) },
      { metadata: struct({ role: 'no-separator' }) },
      { metadata: struct({ GATEWAY_NAME: 'Not_A_Name', NAMESPACE: 'apps' }) },
    ]) {
      const result = gatewayOfNode(node);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toContain("role '<namespace>~<gateway>'");
    }
  });
});
