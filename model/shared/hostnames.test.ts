import { describe, expect, it } from 'vitest';
import { hostnameCovers, hostnameSpecificity, hostnamesOverlap, intersectHostnames } from './hostnames.ts';

describe('hostnameCovers', () => {
  it('matches a wildcard against one or more extra labels but never the bare suffix', () => {
    expect(hostnameCovers('*.example.com', 'a.example.com')).toBe(true);
    expect(hostnameCovers('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostnameCovers('*.example.com', 'example.com')).toBe(false);
    expect(hostnameCovers('*.example.com', '*.a.example.com')).toBe(true);
    expect(hostnameCovers('*.a.example.com', '*.example.com')).toBe(false);
    expect(hostnameCovers('a.example.com', '*.example.com')).toBe(false);
    expect(hostnameCovers('Foo.Example.com', 'foo.example.COM')).toBe(true);
  });

  it('treats overlap as symmetric cover', () => {
    expect(hostnamesOverlap('a.example.com', '*.example.com')).toBe(true);
    expect(hostnamesOverlap('a.example.org', '*.example.com')).toBe(false);
  });
});

describe('intersectHostnames', () => {
  it('follows the spec table for listener and route hostnames', () => {
    expect(intersectHostnames(undefined, undefined)).toEqual([]);
    expect(intersectHostnames(undefined, ['b.com', 'a.com'])).toEqual(['a.com', 'b.com']);
    expect(intersectHostnames('a.com', [])).toEqual(['a.com']);
    expect(intersectHostnames('*.example.com', ['foo.example.com', 'bar.other.com'])).toEqual([
      'foo.example.com',
    ]);
    expect(intersectHostnames('foo.example.com', ['*.example.com'])).toEqual(['foo.example.com']);
    expect(intersectHostnames('*.example.com', ['*.foo.example.com'])).toEqual(['*.foo.example.com']);
    expect(intersectHostnames('*.foo.example.com', ['*.example.com'])).toEqual(['*.foo.example.com']);
    expect(intersectHostnames('foo.example.com', ['bar.example.com'])).toBeNull();
    expect(intersectHostnames('*.example.com', ['example.com'])).toBeNull();
  });
});

describe('hostnameSpecificity', () => {
  it('orders exact before wildcard before catch-all, longer suffixes first', () => {
    const order = ['*.example.com', '', 'a.example.com', '*.a.example.com'].sort(
      (a, b) => hostnameSpecificity(b) - hostnameSpecificity(a),
    );
    expect(order).toEqual(['*.a.example.com', 'a.example.com', '*.example.com', '']);
  });
});
