import { describe, expect, it } from 'vitest';
import { validateObject } from './object-validation.ts';

describe('validateObject', () => {
  it('accepts a v1.6 HTTPRoute with fields newer than the shipped schema', () => {
    expect(
      validateObject({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'default' },
        spec: { rules: [{ name: 'r', filters: [{ type: 'CORS', cors: { allowOrigins: ['*'] } }] }] },
      }),
    ).toEqual([]);
  });

  it('ignores the status, which controllers of newer API versions write', () => {
    expect(
      validateObject({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'sy' },
        spec: { controllerName: 'switchyard.dev/gateway-controller' },
        status: { supportedFeatures: [{ name: 'HTTPRoute' }] },
      }),
    ).toEqual([]);
  });

  it('names the field of a schema failure', () => {
    expect(
      validateObject({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: 'default' },
        spec: { gatewayClassName: 'c', listeners: [{ name: 'http', protocol: 'HTTP', port: 70000 }] },
      }),
    ).toEqual(['spec.listeners[0].port: must be <= 65535']);
  });

  it("does not check an object its CRD passed against the models' older schema; still its name and group", () => {
    const gateway = (port: number, name = 'gw') => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: 'default' },
      spec: { gatewayClassName: 'c', listeners: [{ name: 'http', protocol: 'HTTP', port }] },
    });
    // The model's schema has the port at most 65535; what the CRD passed is what the API server would store.
    expect(validateObject(gateway(70000), { crdChecked: true })).toEqual([]);
    expect(validateObject(gateway(70000, 'Not A Name'), { crdChecked: true })).toEqual([
      `metadata.name: "Not A Name" must be a lowercase DNS subdomain of at most 253 characters (a-z, 0-9, '-', '.')`,
    ]);
  });

  it('rejects names over 253 characters or not DNS subdomains, and wrong API groups', () => {
    const long = `${'a'.repeat(250)}.io`;
    expect(
      validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: long, namespace: 'x' } }),
    ).toEqual([]);
    expect(
      validateObject({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${long}x`, namespace: 'x' },
      })[0],
    ).toMatch(/^metadata\.name: .* at most 253 characters/);
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'Bad_Name' } })[0]).toMatch(
      /^metadata\.name:/,
    );
    expect(
      validateObject({ apiVersion: 'v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'x' } }),
    ).toEqual(['apiVersion: v1 is not an API version of Gateway (group gateway.networking.k8s.io)']);
    expect(validateObject({ kind: 'Gateway', metadata: {} })).toEqual([
      'apiVersion: required',
      'metadata.name: required',
    ]);
  });
});
