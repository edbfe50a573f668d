import { describe, expect, it } from 'vitest';
import { headerEdits, mirrorShare, pathEdit, redirectTarget } from './route-filters.ts';
import { escapeRegex, grpcPath, httpMethod, httpPath, valueMatches } from './route-matches.ts';

describe('shared route matches', () => {
  it('defaults the path to PathPrefix / and trims trailing slashes of a prefix', () => {
    expect(httpPath({})).toEqual({ type: 'PathPrefix', prefix: '' });
    expect(httpPath({ path: { type: 'PathPrefix', value: '/api//' } })).toEqual({
      type: 'PathPrefix',
      prefix: '/api',
    });
    expect(httpPath({ path: { type: 'Exact', value: '/x/' } })).toEqual({ type: 'Exact', value: '/x/' });
    expect(httpMethod({ method: '' as never })).toBeUndefined();
    expect(httpMethod({ method: 'GET' })).toBe('GET');
  });

  it('keeps only the first header match of a name, case-insensitively', () => {
    const matches = valueMatches([
      { name: 'X-A', value: '1' },
      { name: 'x-a', value: '2' },
      { name: 'b', value: 'v.*', type: 'RegularExpression' },
    ]);
    expect(matches).toEqual([
      { name: 'X-A', value: '1', regex: false },
      { name: 'b', value: 'v.*', regex: true },
    ]);
  });

  it('turns a gRPC method match into the request path it selects', () => {
    expect(grpcPath({})).toEqual({ type: 'AnyMethod' });
    expect(grpcPath({ method: { service: 'svc.Echo', method: 'Get' } })).toMatchObject({
      type: 'Exact',
      path: '/svc.Echo/Get',
    });
    expect(grpcPath({ method: { service: 'svc.Echo' } })).toMatchObject({
      type: 'Service',
      path: '/svc.Echo',
    });
    expect(grpcPath({ method: { method: 'Get.x' } })).toMatchObject({
      type: 'Method',
      path: '/[^/]+/Get\\.x',
    });
    expect(grpcPath({ method: { type: 'RegularExpression', method: 'G.*' } })).toMatchObject({
      type: 'RegularExpression',
      path: '/[^/]+/G.*',
    });
    expect(escapeRegex('a.b/c')).toBe('a\\.b\\/c');
  });
});

describe('shared route filters', () => {
  it('reads header modifier lists, dropping non-string removals', () => {
    expect(headerEdits({ set: [{ name: 'a', value: '1' }], remove: ['b', 3 as never] })).toEqual({
      set: [{ name: 'a', value: '1' }],
      add: [],
      remove: ['b'],
    });
  });

  it('applies the spec port rules to a redirect', () => {
    const http = { port: 8080, scheme: 'http' } as const;
    expect(redirectTarget({}, http)).toEqual({ port: 8080, statusCode: 302 });
    expect(redirectTarget({ scheme: 'https' }, http)).toEqual({ scheme: 'https', statusCode: 302 });
    expect(redirectTarget({ scheme: 'https', port: 8443, statusCode: 301 }, http)).toEqual({
      scheme: 'https',
      port: 8443,
      statusCode: 301,
    });
    expect(redirectTarget({ hostname: '' }, { port: 80, scheme: 'http' })).toEqual({ statusCode: 302 });
  });

  it('reads path modifiers with their defaults', () => {
    expect(pathEdit({ type: 'ReplaceFullPath' })).toEqual({ type: 'ReplaceFullPath', path: '/' });
    expect(pathEdit({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' })).toEqual({
      type: 'ReplacePrefixMatch',
      replacement: '/v2',
    });
    expect(pathEdit(undefined)).toBeUndefined();
  });

  it('gives a mirror share below all requests, or undefined for every request', () => {
    expect(mirrorShare(undefined)).toBeUndefined();
    expect(mirrorShare({ backendRef: { name: 'm' }, percent: 100 })).toBeUndefined();
    expect(mirrorShare({ backendRef: { name: 'm' }, percent: -3 })).toEqual({ percent: 0 });
    expect(mirrorShare({ backendRef: { name: 'm' }, fraction: { numerator: 1 } })).toEqual({
      numerator: 1,
      denominator: 100,
    });
    expect(
      mirrorShare({ backendRef: { name: 'm' }, fraction: { numerator: 3, denominator: 3 } }),
    ).toBeUndefined();
    expect(
      mirrorShare({ backendRef: { name: 'm' }, fraction: { numerator: 1, denominator: 0 } }),
    ).toBeUndefined();
  });
});
