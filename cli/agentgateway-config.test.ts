import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway } from './testdata/manifests.ts';
import { runCli as run } from './testdata/run-cli.ts';

const TWO_CLASSES = [
  ENVOY_AND_AGENTGATEWAY_CLASSES,
  httpGateway('a', 'envoy', 80),
  httpGateway('b', 'agentgateway', 80),
].join('---\n');

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
