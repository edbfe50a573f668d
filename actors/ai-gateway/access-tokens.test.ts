import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import {
  ACCESS_TOKEN_KIND,
  type AccessTokenResponse,
  AccessTokenStore,
  accessTokenKey,
} from '../../model/ai-gateway/access-tokens.ts';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import {
  discoveryKey,
  OIDC_DISCOVERY_KIND,
  type OidcDiscoveryRequest,
  type OidcDiscoveryResponse,
  OidcDiscoveryStore,
} from '../../model/policies/oidc-discovery.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Message } from '../../runtime/message.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { OIDC_DISCOVERY } from '../policies/messages.ts';
import { oidcDiscoverySpec } from '../policies/oidc-discovery.ts';
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
      accessTokensSpec(
        { view, store: tokens, discovery: new OidcDiscoveryStore(), renew: true, retryMs: 60_000 },
        async (fetch) => {
          calls.push({ at: clock.now(), fetch });
          return answers.length > 1 ? answers.shift()! : answers[0]!;
        },
      ),
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

  it('tokens from one OIDC issuer wait for its discovery document, read once for every policy and every renewal', async () => {
    const ISSUER = 'https://idp.example';
    const oidcSpec = (tenantID: string) => ({
      type: 'AzureCredentials',
      azureCredentials: {
        clientID: 'app',
        tenantID,
        oidcExchangeToken: {
          oidc: { provider: { issuer: ISSUER }, clientID: 'c', clientSecret: { name: 'idp' } },
        },
      },
    });
    const names = ['one', 'two', 'three'];
    const view = new ResourceStore([
      ...names.map((name) => ({
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'BackendSecurityPolicy',
        metadata: { name, namespace: 'ai' },
        spec: oidcSpec(name),
      })),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'idp', namespace: 'ai' },
        stringData: { 'client-secret': 's' },
      },
    ] as never);
    const tokens = new AccessTokenStore();
    const discovery = new OidcDiscoveryStore();
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const fetched: AccessTokenFetch[] = [];
    const documentsRead: OidcDiscoveryRequest[] = [];
    let answerDocument: (response: OidcDiscoveryResponse) => void = () => {};
    const document = (token: string) => ({
      status: 200,
      body: JSON.stringify({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/authorize`,
        token_endpoint: `${ISSUER}/${token}`,
        scopes_supported: ['openid'],
      }),
    });
    system.spawn({ name: REFERENCE_VALIDATOR, machine: sink, mailbox: { capacity: 64 } });
    system.spawn(
      oidcDiscoverySpec(
        { view, store: discovery, refreshMs: 2 * HOUR, dependents: [ACCESS_TOKENS] },
        (request) => {
          documentsRead.push(request);
          return new Promise((resolve) => {
            answerDocument = resolve;
          });
        },
      ),
    );
    system.spawn(
      accessTokensSpec({ view, store: tokens, discovery, renew: true }, async (fetch) => {
        fetched.push(fetch);
        return { accessToken: `tok-${fetched.length}`, expiresInMs: HOUR };
      }),
    );
    system.start();
    const keys = names.map((name) => accessTokenKey('ai', name, oidcSpec(name))!);
    await system.send<ReferencesWanted>(OIDC_DISCOVERY, {
      type: 'references.wanted',
      kind: OIDC_DISCOVERY_KIND,
      keys: [discoveryKey(ISSUER)],
    });
    await system.send<ReferencesWanted>(ACCESS_TOKENS, {
      type: 'references.wanted',
      kind: ACCESS_TOKEN_KIND,
      keys,
    });
    await settle();
    // The document is being read: no token is asked for, and none is said to be fetched.
    expect(documentsRead.map((request) => request.url)).toEqual([
      `${ISSUER}/.well-known/openid-configuration`,
    ]);
    expect(fetched).toEqual([]);
    const told = () => (system.actor(REFERENCE_VALIDATOR)!.context as { seen: Message[] }).seen;
    expect(told().filter((message) => message.type === 'references.fetched')).toEqual([]);

    answerDocument(document('token'));
    await settle();
    expect(fetched.map((fetch) => fetch.key.name)).toEqual(keys.map((key) => key.name));
    expect(fetched[0]!.request).toMatchObject({
      grant: 'azure-oidc',
      oidc: { issuer: ISSUER, tokenEndpoint: `${ISSUER}/token`, scopes: ['openid'] },
    });
    // Two renewals of every token: the document is not read again.
    await clock.advance(HOUR - 300_000);
    await settle();
    await clock.advance(HOUR - 300_000);
    await settle();
    expect(fetched).toHaveLength(9);
    expect(documentsRead).toHaveLength(1);

    // Read again on the discovery actor's schedule: the token endpoint moved, so every token is asked there at once.
    await clock.advance(2 * HOUR - 2 * (HOUR - 300_000));
    await settle();
    expect(documentsRead).toHaveLength(2);
    answerDocument(document('moved'));
    await settle();
    expect(
      fetched
        .slice(9)
        .map((fetch) => (fetch.request as { oidc: { tokenEndpoint: string } }).oidc.tokenEndpoint),
    ).toEqual(names.map(() => `${ISSUER}/moved`));
    await system.stop(1_000);
  });
});
