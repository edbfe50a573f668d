import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import {
  ACCESS_TOKEN_KIND,
  type AccessTokenResponse,
  AccessTokenStore,
  accessTokenKey,
} from '../../model/ai-gateway/access-tokens.ts';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Message } from '../../runtime/message.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { REFERENCE_VALIDATOR } from '../reference-validator/messages.ts';
import { ACCESS_TOKENS, type AccessTokenFetch, accessTokensSpec, renewalDelayMs } from './access-tokens.ts';

const sink = setup({ types: { context: {} as { seen: Message[] }, events: {} as Message } }).createMachine({
  context: { seen: [] },
  initial: 'on',
  states: {
    on: {
      tags: ['ready'],
      on: { '*': { actions: assign({ seen: ({ context, event }) => [...context.seen, event] }) } },
    },
  },
});

const SPEC = {
  type: 'AzureCredentials',
  azureCredentials: { clientID: 'app', tenantID: 't', clientSecretRef: { name: 'entra' } },
};
const HOUR = 3_600_000;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('access token actor', () => {
  it('renews 5 minutes before expiry, keeps a token that still works through failed renewals, then fails closed', async () => {
    const view = new ResourceStore([
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'BackendSecurityPolicy',
        metadata: { name: 'entra', namespace: 'ai' },
        spec: SPEC,
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'entra', namespace: 'ai' },
        stringData: { 'client-secret': 'x' },
      },
    ] as never);
    const tokens = new AccessTokenStore();
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const calls: { at: number; fetch: AccessTokenFetch }[] = [];
    const answers: AccessTokenResponse[] = [
      { accessToken: 'tok-1', expiresInMs: HOUR },
      { accessToken: 'tok-2', expiresInMs: HOUR },
      { error: 'token endpoint down' },
    ];
    system.spawn({ name: REFERENCE_VALIDATOR, machine: sink, mailbox: { capacity: 64 } });
    system.spawn(
      accessTokensSpec({ view, store: tokens, renew: true, retryMs: 60_000 }, async (fetch) => {
        calls.push({ at: clock.now(), fetch });
        return answers.length > 1 ? answers.shift()! : answers[0]!;
      }),
    );
    system.start();
    const key = accessTokenKey('ai', 'entra', SPEC)!;
    await system.send<ReferencesWanted>(ACCESS_TOKENS, {
      type: 'references.wanted',
      kind: ACCESS_TOKEN_KIND,
      keys: [key],
    });
    await settle();
    const start = calls[0]!.at;
    expect(calls[0]!.fetch.request).toEqual({
      grant: 'azure-client-secret',
      tenantID: 't',
      clientID: 'app',
      clientSecret: 'x',
    });
    expect(tokens.get('ai', 'entra')).toMatchObject({ ok: true, accessToken: 'tok-1' });
    const told = (system.actor(REFERENCE_VALIDATOR)!.context as { seen: Message[] }).seen.map((m) => m.type);
    expect(told).toEqual(['resource.changed', 'references.fetched']);

    // Renewed 5 minutes before the hour is out, not earlier.
    expect(renewalDelayMs(HOUR)).toBe(HOUR - 300_000);
    await clock.advance(HOUR - 300_000 - 1);
    await settle();
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    await settle();
    expect(calls.map((call) => call.at - start)).toEqual([0, HOUR - 300_000]);
    expect(tokens.get('ai', 'entra')).toMatchObject({ ok: true, accessToken: 'tok-2' });

    // The next renewal fails: tok-2 keeps serving, retried every minute until it expires; then the error shows.
    await clock.advance(HOUR - 300_000);
    await settle();
    expect(tokens.get('ai', 'entra')).toMatchObject({ ok: true, accessToken: 'tok-2' });
    for (let i = 0; i < 5; i++) {
      await clock.advance(60_000);
      await settle();
    }
    expect(calls.length).toBe(2 + 1 + 5);
    expect(tokens.get('ai', 'entra')).toMatchObject({ ok: false, error: 'token endpoint down' });
    // Half-life renewal for short tokens.
    expect(renewalDelayMs(120_000)).toBe(60_000);

    // No longer wanted: forgotten, and no more fetches.
    await system.send<ReferencesWanted>(ACCESS_TOKENS, {
      type: 'references.wanted',
      kind: ACCESS_TOKEN_KIND,
      keys: [],
    });
    await settle();
    expect(tokens.get('ai', 'entra')).toBeUndefined();
    const before = calls.length;
    await clock.advance(10 * 60_000);
    await settle();
    expect(calls.length).toBe(before);
    await system.stop(1_000);
  });
});
