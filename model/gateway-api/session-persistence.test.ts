import { describe, expect, it } from 'vitest';
import { sessionPersistenceOf, sessionPersistenceProblem } from './session-persistence.ts';

const path = (type: string, value: string) => ({ path: { type, value } });

describe('sessionPersistence', () => {
  it('a cookie: named, Path from the rule, Max-Age from absoluteTimeout when Permanent; a default name', () => {
    expect(
      sessionPersistenceOf(
        {
          matches: [path('PathPrefix', '/app')],
          sessionPersistence: {
            sessionName: 'sticky',
            absoluteTimeout: '1h',
            cookieConfig: { lifetimeType: 'Permanent' },
          },
        },
        'unused',
      ),
    ).toEqual({ type: 'Cookie', name: 'sticky', path: '/app', ttlMs: 3_600_000 });
    expect(sessionPersistenceOf({ sessionPersistence: {} }, 'session-apps-r-0')).toEqual({
      type: 'Cookie',
      name: 'session-apps-r-0',
      path: '/',
    });
  });

  it("the cookie's Path is what the rule's paths share, a regular expression's literal prefix", () => {
    const of = (matches: unknown[]) =>
      sessionPersistenceOf({ matches, sessionPersistence: { sessionName: 's' } }, '') as { path: string };
    expect(of([path('PathPrefix', '/a/b'), path('Exact', '/a/c')]).path).toBe('/a');
    expect(of([path('RegularExpression', '/p1/p2/.*/p3')]).path).toBe('/p1/p2');
    expect(of([path('PathPrefix', '/x'), path('PathPrefix', '/y')]).path).toBe('/');
    expect(of([{ headers: [] }]).path).toBe('/');
  });

  it('a header session', () => {
    expect(
      sessionPersistenceOf({ sessionPersistence: { sessionName: 'x-session', type: 'Header' } }, ''),
    ).toEqual({ type: 'Header', name: 'x-session' });
  });

  it('refuses what Envoy cannot keep, naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ idleTimeout: '5m' }, 'rule.sessionPersistence.idleTimeout: not supported'],
      [{ type: 'Sticky' }, 'rule.sessionPersistence.type: Sticky is not Cookie or Header'],
      [{ sessionName: 'a b' }, 'rule.sessionPersistence.sessionName: "a b" is not a cookie name'],
      [{ type: 'Header', absoluteTimeout: '1h' }, 'a Header session carries no expiry'],
      [
        { type: 'Header', cookieConfig: {} },
        'rule.sessionPersistence.cookieConfig: only for a Cookie session',
      ],
      [{ cookieConfig: { lifetimeType: 'Permanent' } }, 'required with lifetimeType Permanent'],
      [{ absoluteTimeout: '1h' }, 'a Session cookie has no expiry of its own'],
      [
        { absoluteTimeout: 'soon', cookieConfig: { lifetimeType: 'Permanent' } },
        'is not a positive duration',
      ],
    ];
    for (const [session, message] of cases) {
      expect(sessionPersistenceProblem({ sessionPersistence: session }, 'rule')).toContain(message);
      expect(sessionPersistenceOf({ sessionPersistence: session }, 'd')).toBeUndefined();
    }
    expect(sessionPersistenceProblem({}, 'rule')).toBeUndefined();
  });
});
