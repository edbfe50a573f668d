import { expect, test } from 'vitest';
import { bodyValue, mutateBody } from './backend-mutations.ts';

test('body values are JSON when they read as JSON, text otherwise', () => {
  expect(bodyValue('"scale"')).toBe('scale');
  expect(bodyValue('42')).toBe(42);
  expect(bodyValue('-1.5e3')).toBe(-1500);
  expect(bodyValue('true')).toBe(true);
  expect(bodyValue('null')).toBeNull();
  expect(bodyValue('{"a": [1]}')).toEqual({ a: [1] });
  expect(bodyValue('scale')).toBe('scale');
  expect(bodyValue('{not json}')).toBe('{not json}');
});

test('removals first, then sets; a dot goes one object deeper, creating it when needed', () => {
  expect(
    JSON.parse(
      mutateBody('{"model":"m","user":"u","metadata":{"a":1}}', {
        remove: ['user', 'metadata.a', 'missing.deep'],
        set: [
          { path: 'service_tier', value: '"flex"' },
          { path: 'metadata.b', value: '2' },
          { path: 'extra.c', value: 'x' },
        ],
      }),
    ),
  ).toEqual({ model: 'm', metadata: { b: 2 }, service_tier: 'flex', extra: { c: 'x' } });
});
