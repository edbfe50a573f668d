// The control plane in standalone mode on Envoy AI Gateway manifests: statuses of the three kinds, the Gateway's
// attached routes, and the ext_proc configuration file that `switchyard extproc --config` loads.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExtProcConfig } from '../dataplane/extproc/config.ts';
import type { ExtProcConfigDocument } from '../model/ai-gateway/extproc-config.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { createControlPlane } from './control-plane.ts';
import { fileExtProcConfigPort } from './extproc-config-port.ts';

const MANIFESTS = join(import.meta.dirname, '../model/testdata/ai-gateway.yaml');

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('control plane with AIGatewayRoutes (standalone mode)', () => {
  it('writes statuses and the ext_proc config, and follows changes to Secrets and routes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-ai-'));
    const out = mkdtempSync(join(tmpdir(), 'switchyard-ai-out-'));
    const configPath = join(out, 'extproc.yaml');
    copyFileSync(MANIFESTS, join(dir, 'ai-gateway.yaml'));
    const written: ExtProcConfigDocument[] = [];
    const writeFile = fileExtProcConfigPort(configPath);
    const clock = new VirtualClock();
    const plane = createControlPlane({
      clock,
      files: { paths: [dir], watch: true },
      logger: createLogger({ level: 'silent' }),
      extProcConfig: async (request) => {
        written.push(request.config);
        return writeFile(request);
      },
    });
    const condition = (kind: 'AIGatewayRoute' | 'AIServiceBackend' | 'BackendSecurityPolicy', name: string) =>
      plane.store.get(kind, 'ai', name)?.status?.conditions?.[0];
    try {
      plane.system.start();
      await runUntilQuiescent(plane.system, clock);
      expect(plane.problems).toEqual([]);
      for (const [kind, name] of [
        ['AIGatewayRoute', 'chat'],
        ['AIGatewayRoute', 'claude'],
        ['AIServiceBackend', 'openai'],
        ['AIServiceBackend', 'anthropic'],
        ['BackendSecurityPolicy', 'openai-key'],
        ['BackendSecurityPolicy', 'anthropic-key'],
      ] as const) {
        expect([kind, name, condition(kind, name)?.type, condition(kind, name)?.status]).toEqual([
          kind,
          name,
          'Accepted',
          'True',
        ]);
      }
      // Another controller's route gets no status from us.
      expect(plane.store.get('AIGatewayRoute', 'ai', 'not-ours')?.status).toBeUndefined();
      const gateway = plane.store.get('Gateway', 'ai', 'ai-gateway');
      expect(gateway?.status?.listeners?.[0]?.attachedRoutes).toBe(2);

      // The file is what the ext_proc service loads; it holds credentials, so it is owner-only.
      expect(statSync(configPath).mode & 0o777).toBe(0o600);
      const loaded = loadExtProcConfig(configPath);
      expect(
        loaded.rules.map((rule) => [rule.models, rule.backends.map((b) => b.name), rule.hasCosts]),
      ).toEqual([
        [['gpt-4o-mini'], ['ai/chat/rule/0/ref/0'], false],
        [['claude-sonnet'], ['ai/claude/rule/0/ref/0'], true],
      ]);
      expect(loaded.backends.get('ai/claude/rule/0/ref/0')).toMatchObject({
        schema: 'Anthropic',
        modelNameOverride: 'claude-sonnet-4-20250514',
        auth: { type: 'AnthropicAPIKey', key: 'sk-ant-test' },
      });
      expect(loaded.backends.get('ai/chat/rule/0/ref/0')?.auth).toEqual({
        type: 'APIKey',
        key: 'sk-openai-test',
      });
      const writes = written.length;

      // The Anthropic key's Secret goes away: the policy and the backend say so; the route keeps its backend, whose
      // requests are answered 401 by the service (never sent without credentials), and says ResolvedRefs False.
      const text = readFileSync(MANIFESTS, 'utf8');
      const withoutSecret = text.replace(
        /---\napiVersion: v1\nkind: Secret\nmetadata: \{ name: anthropic-key[\s\S]*?(?=---)/,
        '',
      );
      expect(withoutSecret).not.toBe(text);
      writeFileSync(join(dir, 'ai-gateway.yaml'), withoutSecret);
      await until(() => plane.store.get('Secret', 'ai', 'anthropic-key') === undefined, 'the Secret to go');
      await runUntilQuiescent(plane.system, clock);
      expect([
        condition('BackendSecurityPolicy', 'anthropic-key')?.type,
        condition('BackendSecurityPolicy', 'anthropic-key')?.reason,
      ]).toEqual(['NotAccepted', 'SecretNotFound']);
      expect(condition('AIServiceBackend', 'anthropic')?.type).toBe('NotAccepted');
      expect(
        plane.store
          .get('AIGatewayRoute', 'ai', 'claude')
          ?.status?.conditions?.map((c: { type: string; reason: string }) => [c.type, c.reason]),
      ).toEqual([
        ['Accepted', 'Accepted'],
        ['ResolvedRefs', 'SecretNotFound'],
      ]);
      expect(written.length).toBe(writes + 1);
      expect(loadExtProcConfig(configPath).rules.flatMap((rule) => rule.models)).toEqual([
        'gpt-4o-mini',
        'claude-sonnet',
      ]);
      expect(loadExtProcConfig(configPath).backends.get('ai/claude/rule/0/ref/0')?.auth).toMatchObject({
        type: 'Unavailable',
        reason: expect.stringContaining('Secret ai/anthropic-key not found'),
      });
      expect(plane.store.get('Gateway', 'ai', 'ai-gateway')?.status?.listeners?.[0]?.attachedRoutes).toBe(2);

      // Every AI object gone: an empty (valid) configuration, no routes attached.
      writeFileSync(join(dir, 'ai-gateway.yaml'), text.split('\n---\napiVersion: aigateway')[0]!);
      await until(() => plane.store.list('AIGatewayRoute').length === 0, 'the routes to go');
      await runUntilQuiescent(plane.system, clock);
      expect(written.at(-1)).toEqual({ models: [], rules: [], backends: [] });
      expect(loadExtProcConfig(configPath).rules).toEqual([]);
      expect(plane.store.get('Gateway', 'ai', 'ai-gateway')?.status?.listeners?.[0]?.attachedRoutes).toBe(0);
    } finally {
      plane.close();
      await plane.system.stop(2_000);
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
