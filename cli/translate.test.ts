import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli as run } from './testdata/run-cli.ts';
import { translate } from './translate.ts';

const quickstart = fileURLToPath(new URL('../examples/quickstart', import.meta.url));

interface Condition {
  type: string;
  status: string;
  reason: string;
  observedGeneration?: number;
}

function conditionsOf(object: Record<string, unknown> | undefined): Record<string, Condition> {
  const status = object?.status as { conditions?: Condition[] } | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, c]));
}

function find(objects: readonly Record<string, unknown>[], kind: string, name: string) {
  return objects.find((o) => o.kind === kind && (o.metadata as { name: string }).name === name);
}

function manifests(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-translate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const classAndGateway = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: apps}
spec:
  gatewayClassName: switchyard
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - name: https
      protocol: HTTPS
      port: 443
      tls: {certificateRefs: [{name: missing-cert}]}
`;

describe('switchyard translate', () => {
  it('computes the status of every object of the bundled example', async () => {
    const { objects, irs, problems } = await translate([quickstart]);
    expect(problems).toEqual([]);
    expect(conditionsOf(find(objects, 'GatewayClass', 'switchyard')).Accepted).toMatchObject({
      status: 'True',
    });
    const gateway = find(objects, 'Gateway', 'quickstart');
    expect(conditionsOf(gateway).Accepted).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    const listeners = (gateway!.status as { listeners: { name: string; attachedRoutes: number }[] })
      .listeners;
    expect(listeners).toMatchObject([{ name: 'http', attachedRoutes: 1 }]);
    const route = find(objects, 'HTTPRoute', 'echo')?.status as { parents: { conditions: Condition[] }[] };
    expect(route.parents[0]?.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Accepted'],
      ['ResolvedRefs', 'True', 'ResolvedRefs'],
    ]);
    expect(irs).toHaveLength(1);
    expect(irs[0]?.ports[0]?.listeners[0]?.routes[0]?.rules[0]?.backends[0]).toMatchObject({
      kind: 'Service',
      port: 9000,
      endpoints: [{ address: '127.0.0.1', port: 9000 }],
    });
  });

  it('reports unresolved references in conditions, and problems without a status as messages', async () => {
    const dir = manifests({
      'gateway.yaml': classAndGateway,
      'route.yaml': `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{backendRefs: [{name: nowhere, port: 80}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: not-ours, namespace: apps}
`,
    });
    const { objects, problems } = await translate([dir]);
    const gateway = find(objects, 'Gateway', 'gw');
    const https = (
      gateway!.status as { listeners: { name: string; conditions: Condition[] }[] }
    ).listeners.find((l) => l.name === 'https');
    expect(https?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
    });
    const route = find(objects, 'HTTPRoute', 'web')?.status as { parents: { conditions: Condition[] }[] };
    expect(route.parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
    expect(route.parents[0]?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /Deployment apps\/not-ours: kind Deployment is not one Switchyard reads; ignored$/,
      ),
    ]);
  });

  it('prints diffable YAML and exits 0 even when statuses report errors', async () => {
    const first = await run(['translate', '-f', quickstart]);
    const second = await run(['translate', '-f', quickstart]);
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const documents = parseAllDocuments(first.stdout).map((d) => d.toJS() as { kind: string });
    expect(documents.map((d) => d.kind)).toEqual([
      'GatewayClassParameters',
      'GatewayClass',
      'Gateway',
      'HTTPRoute',
      'Service',
      'EndpointSlice',
    ]);
    expect(first.stdout).toContain('lastTransitionTime: 1970-01-01T00:00:00Z');
    expect(first.stdout).not.toMatch(/[&*]a\d/);
  });

  it('exits 1 with file:line messages on unreadable YAML', async () => {
    const dir = manifests({ 'broken.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n' });
    const { code, stderr } = await run(['translate', '-f', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.yaml:\d+: /);
    const missing = await run(['translate', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yaml: no such file or directory');
  });
});

describe('BackendTLSPolicy status', () => {
  it('reports each Gateway whose routes use a targeted Service as an ancestor', async () => {
    const dir = manifests({
      'gateway.yaml': classAndGateway,
      'backend.yaml': `
apiVersion: v1
kind: Service
metadata: {name: secure, namespace: apps}
spec: {ports: [{name: https, port: 443}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{backendRefs: [{name: secure, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure-tls, namespace: apps}
spec:
  targetRefs: [{group: '', kind: Service, name: secure}]
  validation: {hostname: secure.example.com, wellKnownCACertificates: System}
`,
    });
    const { objects } = await translate([dir]);
    const policy = find(objects, 'BackendTLSPolicy', 'secure-tls')?.status as {
      ancestors: {
        ancestorRef: { name: string; kind: string };
        controllerName: string;
        conditions: Condition[];
      }[];
    };
    expect(policy.ancestors).toHaveLength(1);
    expect(policy.ancestors[0]).toMatchObject({
      ancestorRef: { kind: 'Gateway', name: 'gw' },
      controllerName: 'switchyard.dev/gateway-controller',
    });
    expect(policy.ancestors[0]?.conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');
  });
});
