import { describe, expect, it } from 'vitest';
import type { Gateway, GatewayStatus } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, LATER, NOW, storeOf } from '../testdata/fixtures.ts';
import { computeGatewayStatus, type ProgrammedState } from './gateway-status.ts';

function statusOf(
  store: ResourceStore,
  name: string,
  programmed?: ProgrammedState,
  now = NOW,
): GatewayStatus | undefined {
  const gateway = store.get('Gateway', 'infra', name) as Gateway;
  return computeGatewayStatus(gateway, store, {
    controllerName: CONTROLLER,
    now,
    attachedRoutes: new Map(),
    ...(programmed === undefined ? {} : { programmed }),
  });
}

function listener(status: GatewayStatus | undefined, name: string) {
  const found = status?.listeners?.find((l) => l.name === name);
  if (found === undefined) throw new Error(`no listener ${name} in ${JSON.stringify(status)}`);
  return { ...found, condition: (type: string) => findCondition(found.conditions, type) };
}

const HTTPROUTE = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' };
const READY: ProgrammedState = { status: 'True', reason: 'Programmed', message: 'pushed' };

describe('Gateway listeners that must be refused', () => {
  const store = storeOf('base.yaml', 'gateways-invalid-listeners.yaml');

  // GatewayInvalidRouteKind
  it('reports InvalidRouteKinds with no supportedKinds when only unknown kinds are allowed', () => {
    const http = listener(statusOf(store, 'only-unknown-route-kind'), 'http');
    expect(http.supportedKinds).toEqual([]);
    expect(http.condition('ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidRouteKinds' });
    expect(http.attachedRoutes).toBe(0);
  });

  it('keeps the valid kinds in supportedKinds when valid and invalid kinds are mixed', () => {
    const http = listener(statusOf(store, 'known-and-unknown-route-kinds'), 'http');
    expect(http.supportedKinds).toEqual([HTTPROUTE]);
    expect(http.condition('ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidRouteKinds' });
    expect(http.condition('ResolvedRefs')?.message).toMatch(
      /example.com\/HTTPRoute, gateway.networking.k8s.io\/TCPRoute/,
    );
  });

  // GatewayListenerUnsupportedProtocol
  it('does not accept a Gateway whose only listener has an unsupported protocol', () => {
    const status = statusOf(store, 'only-unsupported-protocol');
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'ListenersNotValid',
    });
    expect(findCondition(status?.conditions, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
    });
    const custom = listener(status, 'custom');
    expect(custom.supportedKinds).toEqual([]);
    expect(custom.condition('Accepted')).toMatchObject({ status: 'False', reason: 'UnsupportedProtocol' });
    expect(custom.condition('Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
  });

  it('accepts a Gateway with at least one valid listener, with reason ListenersNotValid', () => {
    const status = statusOf(store, 'supported-and-unsupported-protocol');
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
    const http = listener(status, 'http');
    expect(http.supportedKinds).toEqual([
      HTTPROUTE,
      { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
    ]);
    expect(http.condition('Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(listener(status, 'custom').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedProtocol',
    });
  });

  // GatewayInvalidParametersRef
  it('refuses infrastructure parameters it does not support with InvalidParameters', () => {
    const accepted = findCondition(statusOf(store, 'infrastructure-parameters')?.conditions, 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'InvalidParameters' });
    expect(accepted?.message).toMatch(/spec.infrastructure.parametersRef/);
  });

  it('refuses requested addresses with UnsupportedAddress', () => {
    expect(findCondition(statusOf(store, 'static-address')?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedAddress',
    });
  });

  it('refuses listener values it cannot serve with UnsupportedValue naming the field', () => {
    const status = statusOf(store, 'bad-values');
    const expectations: [string, RegExp][] = [
      ['tcp-with-hostname', /listeners\[0\]\.hostname: must not be set for protocol TCP/],
      ['http-with-tls', /listeners\[1\]\.tls: must not be set/],
      ['tls-without-mode', /listeners\[2\]\.tls\.mode/],
      ['bad-hostname', /listeners\[3\]\.hostname: foo\.\*\.example\.com/],
      ['bad-selector', /operator Near/],
    ];
    for (const [name, message] of expectations) {
      const accepted = listener(status, name).condition('Accepted');
      expect(accepted).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
      expect(accepted?.message).toMatch(message);
    }
    expect(listener(status, 'fine').condition('Accepted')).toMatchObject({ status: 'True' });
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
  });

  it('computes nothing for a Gateway of another controller', () => {
    expect(statusOf(store, 'belongs-to-someone-else')).toBeUndefined();
  });
});

// GatewayInvalidTLSConfiguration (+ key mismatch, secret type and no certificate at all)
describe('Gateway listeners with unusable certificates', () => {
  const store = storeOf('base.yaml', 'gateways-invalid-tls.yaml');

  it.each([
    ['certificate-secret-missing', /Secret infra\/no-such-secret not found/],
    ['certificate-unsupported-group', /certificates.example.com\/Secret is not supported/],
    ['certificate-unsupported-kind', /core\/ConfigMap is not supported/],
    ['certificate-malformed', /not a PEM-encoded X.509 certificate/],
    ['certificate-key-mismatch', /tls.key does not match the certificate/],
    ['certificate-wrong-secret-type', /type Opaque, want kubernetes.io\/tls/],
    ['certificate-none', /at least one certificate/],
  ])('%s: ResolvedRefs False InvalidCertificateRef, not programmed', (name, message) => {
    const status = statusOf(store, name, READY);
    const https = listener(status, 'https');
    expect(https.supportedKinds).toEqual([
      HTTPROUTE,
      { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
    ]);
    expect(https.condition('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
    });
    expect(https.condition('ResolvedRefs')?.message).toMatch(message);
    expect(https.condition('Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(https.attachedRoutes).toBe(0);
    expect(findCondition(status?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'ListenersNotResolved',
    });
  });

  it('resolves a valid key pair and programs the listener once the data plane reports it', () => {
    const status = statusOf(store, 'certificate-fine', READY);
    const https = listener(status, 'https');
    expect(https.condition('ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    expect(https.condition('Programmed')).toMatchObject({ status: 'True', reason: 'Programmed' });
    expect(findCondition(status?.conditions, 'Programmed')).toMatchObject({
      status: 'True',
      reason: 'Programmed',
    });
    expect(findCondition(status?.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True' });
  });
});

describe('certificate Secrets in another namespace', () => {
  const resolvedRefs = (store: ResourceStore) =>
    listener(statusOf(store, 'remote-certificate'), 'https').condition('ResolvedRefs');

  // GatewaySecretMissingReferenceGrant
  it('needs a ReferenceGrant', () => {
    const condition = resolvedRefs(storeOf('base.yaml', 'gateways-secret-grants.yaml'));
    expect(condition).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
    expect(condition?.message).toMatch(/Secret backends\/shared-tls.*no ReferenceGrant/);
  });

  // GatewaySecretInvalidReferenceGrant
  it('is not permitted by grants for another namespace, kind or name, or in the wrong namespace', () => {
    const store = storeOf('base.yaml', 'gateways-secret-grants.yaml', 'grant-secrets-wrongly.yaml');
    expect(resolvedRefs(store)).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
  });

  // GatewaySecretReferenceGrantAllInNamespace
  it('is permitted by a grant for all Secrets of the namespace', () => {
    const store = storeOf('base.yaml', 'gateways-secret-grants.yaml', 'grant-secrets-to-infra-gateways.yaml');
    expect(resolvedRefs(store)).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
  });

  // GatewaySecretReferenceGrantSpecific, then the grant is revoked
  it('is permitted by a grant naming the Secret, and flips back when the grant is deleted', () => {
    const store = storeOf(
      'base.yaml',
      'gateways-secret-grants.yaml',
      'grant-one-secret-to-infra-gateways.yaml',
    );
    expect(resolvedRefs(store)).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    store.delete({ kind: 'ReferenceGrant', namespace: 'backends', name: 'shared-tls-only' });
    expect(resolvedRefs(store)).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
  });
});

describe('listeners sharing a port', () => {
  const store = storeOf('base.yaml', 'gateways-conflicts.yaml');

  it('marks every listener with the same port and hostname HostnameConflict, and none wins', () => {
    const status = statusOf(store, 'same-port-same-hostname');
    for (const name of ['first', 'second']) {
      expect(listener(status, name).condition('Conflicted')).toMatchObject({
        status: 'True',
        reason: 'HostnameConflict',
      });
      // Not accepted and not programmed, for the conflict's reason (as the conformance suite reads listeners).
      for (const type of ['Accepted', 'Programmed']) {
        expect(listener(status, name).condition(type)).toMatchObject({
          status: 'False',
          reason: 'HostnameConflict',
        });
      }
    }
    expect(listener(status, 'other-host').condition('Conflicted')).toMatchObject({
      status: 'False',
      reason: 'NoConflicts',
    });
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
  });

  it('marks HTTP with HTTPS, and TCP with anything TCP-based, on one port ProtocolConflict; UDP may share', () => {
    const status = statusOf(store, 'same-port-two-protocols');
    for (const name of ['plain', 'secure']) {
      expect(listener(status, name).condition('Conflicted')).toMatchObject({
        status: 'True',
        reason: 'ProtocolConflict',
      });
    }
    expect(listener(status, 'raw').condition('Conflicted')).toMatchObject({ status: 'False' });
    expect(listener(status, 'raw-udp').condition('Conflicted')).toMatchObject({ status: 'False' });
  });

  it('lets HTTPS and TLS passthrough share a port with distinct hostnames', () => {
    const status = statusOf(store, 'https-and-passthrough');
    expect(listener(status, 'https').condition('Conflicted')).toMatchObject({ status: 'False' });
    expect(listener(status, 'passthrough').condition('Conflicted')).toMatchObject({ status: 'False' });
    expect(listener(status, 'passthrough').supportedKinds).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'TLSRoute' },
    ]);
  });

  it('sets OverlappingTLSConfig on exactly the listeners whose hostnames overlap on one port', () => {
    const status = statusOf(store, 'overlapping-tls');
    expect(listener(status, 'foo').condition('OverlappingTLSConfig')).toMatchObject({
      status: 'True',
      reason: 'OverlappingHostnames',
    });
    expect(listener(status, 'wildcard').condition('OverlappingTLSConfig')).toMatchObject({
      status: 'True',
      reason: 'OverlappingHostnames',
    });
    expect(listener(status, 'apex').condition('OverlappingTLSConfig')).toBeUndefined();
    expect(listener(status, 'elsewhere').condition('OverlappingTLSConfig')).toBeUndefined();
  });
});

describe('Gateway generations and names', () => {
  // GatewayObservedGenerationBump and GatewayModifyListeners
  it('follows listener changes: new listeners appear, removed ones disappear, observedGeneration follows', () => {
    const store = storeOf('base.yaml', 'gateways-invalid-tls.yaml');
    const original = store.get('Gateway', 'infra', 'certificate-fine') as Gateway;
    const firstStatus = statusOf(store, 'certificate-fine', READY);
    const added: Gateway = {
      ...original,
      metadata: { ...original.metadata, generation: 2 },
      spec: {
        ...original.spec,
        listeners: [
          ...original.spec.listeners,
          {
            name: 'http',
            port: 80,
            protocol: 'HTTP',
            hostname: 'data.example.com',
            allowedRoutes: { namespaces: { from: 'All' } },
          },
        ],
      },
      status: firstStatus,
    };
    store.upsert(added);
    const second = statusOf(store, 'certificate-fine', READY, LATER);
    expect(second?.listeners?.map((l) => l.name)).toEqual(['https', 'http']);
    expect(findCondition(second?.conditions, 'Accepted')).toMatchObject({
      observedGeneration: 2,
      lastTransitionTime: NOW,
    });
    expect(listener(second, 'http').condition('Accepted')).toMatchObject({
      status: 'True',
      observedGeneration: 2,
      lastTransitionTime: LATER,
    });
    expect(listener(second, 'https').condition('Accepted')).toMatchObject({
      observedGeneration: 2,
      lastTransitionTime: NOW,
    });

    store.upsert({
      ...added,
      metadata: { ...added.metadata, generation: 3 },
      spec: { ...added.spec, listeners: [added.spec.listeners[1]!] },
      status: second,
    });
    const third = statusOf(store, 'certificate-fine', READY, LATER);
    expect(third?.listeners?.map((l) => l.name)).toEqual(['http']);
    expect(findCondition(third?.conditions, 'Programmed')).toMatchObject({
      status: 'True',
      observedGeneration: 3,
    });
  });

  // GatewayNameMaximumLength
  it('handles a Gateway name at the 253-character limit', () => {
    const store = storeOf('base.yaml', 'gateways-invalid-tls.yaml');
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name).toHaveLength(253);
    const original = store.get('Gateway', 'infra', 'certificate-fine') as Gateway;
    store.upsert({ ...original, metadata: { ...original.metadata, name } });
    const status = statusOf(store, name, READY);
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
    });
    expect(findCondition(status?.conditions, 'Programmed')).toMatchObject({ status: 'True' });
  });
});
