import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runCli as run } from './testdata/run-cli.ts';

const TWO_CLASSES = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: envoy}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: agw}
spec: {backend: agentgateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: agentgateway}
spec:
  controllerName: switchyard.dev/gateway-controller
  parametersRef: {group: switchyard.dev, kind: GatewayClassParameters, name: agw}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: a, namespace: apps}
spec:
  gatewayClassName: envoy
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: b, namespace: apps}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, protocol: HTTP, port: 80}]
`;

describe('switchyard agentgateway-config', () => {
  it('prints the config naming the xDS server and the Gateway', async () => {
    const { code, stdout } = await run([
      'agentgateway-config',
      '--gateway',
      'apps/b',
      '--xds-address',
      '10.0.0.5:18001',
    ]);
    expect(code).toBe(0);
    expect(parse(stdout)).toEqual({
      config: { xdsAddress: 'http://10.0.0.5:18001', namespace: 'apps', gateway: 'b' },
    });
  });

  it('refuses a Gateway that is not <namespace>/<name>, saying what it expects', async () => {
    const { code, stderr } = await run(['agentgateway-config', '--gateway', 'b']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--gateway: expected <namespace>/<name>');
  });
});

describe('switchyard translate --show xds with an agentgateway class', () => {
  it('shows Envoy resources for the envoy Gateway and agentgateway resources for the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-agw-translate-'));
    writeFileSync(join(dir, 'all.yaml'), TWO_CLASSES);
    const { code, stdout } = await run(['translate', '-f', dir, '--show', 'xds']);
    expect(code).toBe(0);
    const documents = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(documents.map((d) => [d.kind, d.gateway])).toEqual([
      ['EnvoyResources', 'apps/a'],
      ['AgentgatewayResources', 'apps/b'],
    ]);
    const resources = documents[1]!.resources as {
      binds: Record<string, unknown>;
      listeners: Record<string, unknown>;
    };
    expect(Object.keys(resources.binds)).toEqual(['80/apps/b']);
    expect(Object.keys(resources.listeners)).toEqual(['80/apps/b/Gateway/apps/b/http']);
  });
});

describe('switchyard controller --agentgateway-xds-address', () => {
  it('refuses an address that is not host:port or off, naming the flag', async () => {
    const { code, stderr } = await run([
      'controller',
      '--files',
      '.',
      '--agentgateway-xds-address',
      'nowhere',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('--agentgateway-xds-address: invalid address "nowhere"');
  });
});
