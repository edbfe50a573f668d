// Defence in depth behind validation: a rule or listener a real Envoy refuses (injected at the IR level, past the
// model's checks) is found by pushing parts of the revision, dropped with Envoy's own text on its route, and the
// rest of the Gateway keeps serving and taking changes. A refused listener gaining an authentication filter never
// leaves its route served without it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  gatewayIR,
  gatewayKey,
  listener,
  port,
  route,
  rule,
  service,
} from '../../backends/envoy/testdata/gateway-ir.ts';
import type { BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { answeredBy, httpRequest } from './http-client.ts';

const HOST = 'app.example.com';
const PROXY = 'searcher';

describe('a rule or listener Envoy refuses is dropped alone (real Envoy)', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let gatewayPort: number;
  const gateway = gatewayKey('refusals');

  const prefixRoute = (name: string, path: string, extra: Partial<RuleIR> = {}): RouteIR =>
    route(name, [
      {
        ...rule([service('app', [echo.port])], { matches: [{ path: { type: 'PathPrefix', value: path } }] }),
        ...extra,
      },
    ]);
  const good = (n: number) => Array.from({ length: n }, (_, i) => prefixRoute(`good-${i}`, `/good/${i}`));
  // Our translation passes a regex through as written; Envoy's RE2 refuses this one (the model's validation
  // would stop it before the IR: here it is injected past it).
  const refusedByEnvoy = () =>
    route('bad-regex', [
      rule([service('app', [echo.port])], {
        matches: [{ path: { type: 'RegularExpression', value: '/bad/(unclosed' } }],
      }),
    ]);
  const irOf = (routes: readonly RouteIR[]) =>
    gatewayIR([port(gatewayPort, [listener('web', 'HTTP', routes, { gateway })])], gateway);

  /** The first status of `revision` with the search over and the proxy running that revision. */
  const settled = (revision: number) =>
    fixture.waitForStatus(
      (s) =>
        s.revision === revision &&
        s.searching === undefined &&
        s.proxies.some((p) => p.proxy === PROXY && p.ackedRevision === revision),
      `the search of revision ${revision} ends with ${PROXY} running it`,
      60_000,
    );
  const dropped = (status: BackendGatewayStatus) =>
    (status.refusals ?? []).map((r) => [r.route?.name, r.rule, r.severity]);
  const answers = (paths: readonly string[]) =>
    Promise.all(paths.map((p) => answeredBy(gatewayPort, p, { host: HOST })));

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    echo = await startHttpEcho('app');
    gatewayPort = await freePort();
    const revision = await fixture.send(irOf(good(50)));
    await fixture.startEnvoy(gateway, { nodeId: PROXY });
    await fixture.waitForSynced(PROXY, revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await echo?.close();
  });

  test('50 good routes and one Envoy refuses: the 50 stay served, the refused one is dropped with Envoy’s text, new routes are taken', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `/good/${i}/x`);
    expect(new Set(await answers(fifty))).toEqual(new Set(['app']));

    const withBad = await fixture.send(irOf([...good(50), refusedByEnvoy()]));
    const afterBad = await settled(withBad);
    expect(dropped(afterBad)).toEqual([['bad-regex', 0, 'dropped']]);
    // Meanwhile the Gateway was said to be finding what Envoy refuses.
    expect(
      fixture.statuses.find((s) => s.revision === withBad && s.searching !== undefined)?.searching,
    ).toMatch(/^The proxies refused revision \d+ \(envoy proxy searcher: .*\); finding which rules/);
    expect(afterBad.refusals?.[0]?.message).toMatch(
      new RegExp(`^envoy proxy ${PROXY}: .*(regex|missing \\))`, 'i'),
    );
    expect(afterBad.proxies.find((p) => p.proxy === PROXY)?.rejection).toBeUndefined();
    expect(new Set(await answers(fifty))).toEqual(new Set(['app']));
    expect(await answeredBy(gatewayPort, '/bad/x', { host: HOST })).toBe('<404>');

    // A new route next to the dropped one is served at once: the dropped rule is left out of the push while it is
    // unchanged, so nothing is refused again.
    const pushesBefore = fixture.statuses.length;
    const withNew = await fixture.send(irOf([...good(50), refusedByEnvoy(), prefixRoute('new', '/new')]));
    const afterNew = await settled(withNew);
    expect(dropped(afterNew)).toEqual([['bad-regex', 0, 'dropped']]);
    expect(fixture.statuses.slice(pushesBefore).some((s) => s.searching !== undefined)).toBe(false);
    expect(await answeredBy(gatewayPort, '/new/x', { host: HOST })).toBe('app');
    expect(new Set(await answers(fifty))).toEqual(new Set(['app']));

    // Fixed, it is offered again and served; the refusal goes.
    const fixedRoute = route('bad-regex', [
      rule([service('app', [echo.port])], {
        matches: [{ path: { type: 'RegularExpression', value: '/bad/(closed)' } }],
      }),
    ]);
    const fixed = await fixture.send(irOf([...good(50), fixedRoute, prefixRoute('new', '/new')]));
    const afterFix = await settled(fixed);
    expect(afterFix.refusals).toBeUndefined();
    expect(await answeredBy(gatewayPort, '/bad/closed', { host: HOST })).toBe('app');
  });

  test('a listener refused for its authentication filter: the route it guards is not served at all, never open', async () => {
    const guardedRule = rule([service('app', [echo.port])], {
      matches: [{ path: { type: 'PathPrefix', value: '/guarded' } }],
    });
    const open = await fixture.send(irOf([...good(3), route('guarded', [guardedRule])]));
    await settled(open);
    expect(await answeredBy(gatewayPort, '/guarded', { host: HOST })).toBe('app');

    // A SecurityPolicy adds basic auth to the route; the chain's filter gets a username header Envoy refuses
    // (a line break: the listener is NACKed as a whole).
    const users = `alice:{SHA}${createHash('sha1').update('secret').digest('base64')}\n`;
    const protectedRule: RuleIR = {
      ...guardedRule,
      policies: {
        security: {
          policy: resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'guard'),
          basicAuth: { credentials: users, forwardUsernameHeader: 'x-user\nname' },
        },
      },
    };
    const guarded = await fixture.send(irOf([...good(3), route('guarded', [protectedRule])]));
    const status = await settled(guarded);
    expect(dropped(status)).toEqual([['guarded', 0, 'dropped']]);
    expect(status.refusals?.[0]?.message).toMatch(/^envoy proxy searcher: .*ForwardUsernameHeader/s);
    const alice = { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` };
    // Not served without its authentication, nor with it: the route is not served at all.
    expect((await httpRequest(gatewayPort, '/guarded', { host: HOST })).status).toBe(404);
    expect((await httpRequest(gatewayPort, '/guarded', { host: HOST, headers: alice })).status).toBe(404);
    expect(await answers(['/good/0/x', '/good/2/x'])).toEqual(['app', 'app']);
  });

  test("a route configuration refused for one rule's per-route authentication (RDS): that rule alone is dropped, never served open; the other rules keep their own", async () => {
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    const sha = (password: string) => createHash('sha1').update(password).digest('base64');
    const withBasicAuth = (path: string, policy: string, credentials: string): RuleIR => ({
      ...rule([service('app', [echo.port])], { matches: [{ path: { type: 'PathPrefix', value: path } }] }),
      policies: {
        security: {
          policy: resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', policy),
          basicAuth: { credentials },
        },
      },
    });
    // A neighbour whose per-route basic auth Envoy takes, in the same route configuration.
    const neighbour = route('neighbour', [
      withBasicAuth('/neighbour', 'neighbour', `bob:{SHA}${sha('bobpw')}\n`),
    ]);
    const openRule = rule([service('app', [echo.port])], {
      matches: [{ path: { type: 'PathPrefix', value: '/payroll' } }],
    });
    const open = await fixture.send(irOf([...good(3), neighbour, route('payroll', [openRule])]));
    await settled(open);
    expect(await answeredBy(gatewayPort, '/payroll', { host: HOST })).toBe('app');
    expect((await httpRequest(gatewayPort, '/neighbour', { host: HOST })).status).toBe(401);

    // A SecurityPolicy adds basic auth to /payroll with an htpasswd hash Envoy does not take (MD5; the model would
    // refuse it before the IR: injected past it). The filter on the chain is unchanged: Envoy refuses the route
    // configuration, where the per-route users are read.
    const rejected = async () => {
      const stats = await fixture.envoys[0]!.admin.stats('update_rejected$');
      const sum = (pattern: RegExp) =>
        Object.entries(stats)
          .filter(([name]) => pattern.test(name))
          .reduce((total, [, value]) => total + value, 0);
      return { listeners: sum(/^listener_manager\.lds\./), routes: sum(/\.rds\./) };
    };
    const before = await rejected();
    const refused = withBasicAuth('/payroll', 'payroll', 'carol:$apr1$salt$0123456789abcdefghijkl\n');
    const guarded = await fixture.send(irOf([...good(3), neighbour, route('payroll', [refused])]));
    const status = await settled(guarded);
    expect(dropped(status)).toEqual([['payroll', 0, 'dropped']]);
    // Refused by RDS (the route configuration), the listeners taken every time.
    const after = await rejected();
    expect(after.listeners).toBe(before.listeners);
    expect(after.routes).toBeGreaterThan(before.routes);
    expect(status.refusals?.[0]?.message).toBe(
      'envoy proxy searcher: basic auth: unsupported htpasswd format: please use {SHA}',
    );
    // Not served without the authentication it was given, nor with any credentials: not served at all.
    expect((await httpRequest(gatewayPort, '/payroll', { host: HOST })).status).toBe(404);
    expect(
      (await httpRequest(gatewayPort, '/payroll', { host: HOST, headers: basic('bob', 'bobpw') })).status,
    ).toBe(404);
    // The rest of the route configuration is served, the neighbour still with its own authentication.
    expect(await answers(['/good/0/x', '/good/2/x'])).toEqual(['app', 'app']);
    expect((await httpRequest(gatewayPort, '/neighbour', { host: HOST })).status).toBe(401);
    expect(
      (await httpRequest(gatewayPort, '/neighbour', { host: HOST, headers: basic('bob', 'bobpw') })).status,
    ).toBe(200);
  });
  test("Envoy's words on a refused rule keep its reason and leave out the configuration it quotes: no API key reaches the status", async () => {
    const key = 'k3y-of-the-payroll-team-0123456789';
    const keyed = route('keyed', [
      {
        ...rule([service('app', [echo.port])], {
          matches: [{ path: { type: 'PathPrefix', value: '/keyed' } }],
        }),
        policies: {
          security: {
            policy: resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'keyed'),
            // A key source header Envoy refuses (a line break; the model would refuse it before the IR).
            apiKeyAuth: {
              credentials: [{ client: 'payroll', key }],
              extractFrom: [{ headers: ['x-api\nkey'], params: [], cookies: [] }],
              sanitize: false,
            },
          },
        },
      },
    ]);
    const revision = await fixture.send(irOf([...good(3), keyed]));
    const status = await settled(revision);
    expect(dropped(status)).toEqual([['keyed', 0, 'dropped']]);
    const message = status.refusals?.[0]?.message ?? '';
    // Envoy's own reason, as it words it, without the message it printed before it.
    expect(message).toMatch(/^envoy proxy searcher: .*Proto constraint validation failed \(.*KeySource/s);
    expect(message).not.toMatch(/goo\.gle\/debug|credentials \{/);
    const shown = JSON.stringify(fixture.statuses.filter((s) => s.revision === revision));
    expect(shown).toMatch(/refused revision/);
    expect(shown).not.toContain(key);
    expect(await answeredBy(gatewayPort, '/keyed', { host: HOST })).toBe('<404>');
    expect(await answers(['/good/0/x', '/good/2/x'])).toEqual(['app', 'app']);
  });
});
