import { describe, expect, it } from 'vitest';
import { compileLabelSelector } from './label-selectors.ts';

function matcher(selector: Parameters<typeof compileLabelSelector>[0]) {
  const compiled = compileLabelSelector(selector);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.matches;
}

describe('compileLabelSelector', () => {
  it('matches everything when empty, as Kubernetes does', () => {
    expect(matcher(undefined)({})).toBe(true);
    expect(matcher({})(undefined)).toBe(true);
  });

  it('ANDs matchLabels and every expression operator', () => {
    const matches = matcher({
      matchLabels: { team: 'apps' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'tier', operator: 'NotIn', values: ['legacy'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'frozen', operator: 'DoesNotExist' },
      ],
    });
    expect(matches({ team: 'apps', env: 'prod', owner: 'x' })).toBe(true);
    expect(matches({ team: 'apps', env: 'dev', owner: 'x' })).toBe(false);
    expect(matches({ team: 'apps', env: 'prod', owner: 'x', tier: 'legacy' })).toBe(false);
    expect(matches({ team: 'apps', env: 'prod' })).toBe(false);
    expect(matches({ team: 'apps', env: 'prod', owner: 'x', frozen: 'yes' })).toBe(false);
    expect(matches({ team: 'web', env: 'prod', owner: 'x' })).toBe(false);
  });

  it('names the field of a malformed selector', () => {
    expect(
      compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' as 'In' }] }),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(/matchExpressions\[0\].operator Near/),
    });
    expect(compileLabelSelector({ matchLabels: { a: 1 as unknown as string } })).toMatchObject({ ok: false });
  });
});
