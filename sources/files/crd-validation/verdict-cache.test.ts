import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crdValidator } from './crd-validator.ts';
import { CEL_LOADED_HOOK, crdOf } from './testdata/crd-tests.ts';
import { verdictCache } from './verdict-cache.ts';

/** Gizmo v1: one rule on `spec` (and one comparing with oldSelf). */
const gizmos = (rule: string, message = 'size is refused') =>
  crdOf('Gizmo', {
    v1: {
      type: 'object',
      properties: { size: { type: 'integer' }, owner: { type: 'string' } },
      'x-kubernetes-validations': [
        { rule, message },
        { rule: 'self.owner == oldSelf.owner', message: 'owner is immutable' },
      ],
    },
  });
const EVEN = gizmos('self.size % 2 == 0', 'size must be even');
const gizmo = (size: unknown, name = 'g') => ({
  apiVersion: 'example.dev/v1',
  kind: 'Gizmo',
  metadata: { name, namespace: 'default' },
  spec: { size, owner: 'a' },
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-verdicts-'));
  dirs.push(dir);
  return join(dir, 'crd-verdicts');
}

/** A run: a validator over the CRD with verdicts kept in `dir`, each object checked as a create, then saved. */
function run(dir: string, crd: Record<string, unknown>, objects: Record<string, unknown>[]): string[][] {
  const verdicts = verdictCache(dir);
  const validator = crdValidator([crd], { later: new Set([crd]), verdicts });
  const problems = objects.map((object) => validator.validate(object));
  verdicts.save();
  return problems;
}

describe('verdicts kept between runs (bench/translate.startup)', () => {
  it('gives a later run the same problems without compiling the CRD or loading CEL (new processes, as runs start)', () => {
    const dir = cacheDir();
    const script = `${CEL_LOADED_HOOK}
      const { crdValidator } = await import(${JSON.stringify(new URL('./crd-validator.ts', import.meta.url).href)});
      const { verdictCache } = await import(${JSON.stringify(new URL('./verdict-cache.ts', import.meta.url).href)});
      const crd = ${JSON.stringify(EVEN)};
      const verdicts = verdictCache(${JSON.stringify(dir)});
      const validator = crdValidator([crd], { later: new Set([crd]), verdicts });
      const compares = validator.comparesWithPrevious(${JSON.stringify(gizmo(2))});
      const problems = [${[gizmo(2), gizmo(3), gizmo('x')].map((object) => `validator.validate(${JSON.stringify(object)})`).join(', ')}];
      verdicts.save();
      console.log(JSON.stringify({ compares, problems, celLoaded }));`;
    const runs = [1, 2].map(() => {
      const spawned = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(spawned.stderr).toBe('');
      return JSON.parse(spawned.stdout) as { compares: boolean; problems: string[][]; celLoaded: boolean };
    });
    const problems = [
      [],
      ['spec: Invalid value: size must be even'],
      [
        'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
        '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    ];
    expect(runs).toEqual([
      { compares: true, problems, celLoaded: true },
      { compares: true, problems, celLoaded: false },
    ]);
  });

  it('checks again an object changed since, and every object when its CRD version changed (never a stale verdict)', () => {
    const dir = cacheDir();
    expect(run(dir, EVEN, [gizmo(3), gizmo(4)])).toEqual([['spec: Invalid value: size must be even'], []]);
    // The same objects, the rule now wants multiples of three: what was kept for the other CRD is not read.
    const thirds = gizmos('self.size % 3 == 0', 'size must be a multiple of three');
    expect(run(dir, thirds, [gizmo(3), gizmo(4)])).toEqual([
      [],
      ['spec: Invalid value: size must be a multiple of three'],
    ]);
    // An object changed in any field is another object.
    expect(run(dir, EVEN, [gizmo(3, 'h'), gizmo(5)])).toEqual([
      ['spec: Invalid value: size must be even'],
      ['spec: Invalid value: size must be even'],
    ]);
    // Both CRDs' verdicts are kept side by side.
    expect(run(dir, thirds, [gizmo(4)])).toEqual([['spec: Invalid value: size must be a multiple of three']]);
  });

  it('checks an object as an update (with the object before) every time', () => {
    const dir = cacheDir();
    run(dir, EVEN, [gizmo(2)]);
    const validator = crdValidator([EVEN], { later: new Set([EVEN]), verdicts: verdictCache(dir) });
    expect(validator.validate({ ...gizmo(2), spec: { size: 2, owner: 'b' } }, gizmo(2))).toEqual([
      'spec: Invalid value: owner is immutable',
    ]);
  });

  it('keeps no verdict for an object JSON cannot write as it is (YAML .nan, .inf)', () => {
    const dir = cacheDir();
    run(dir, EVEN, [gizmo(Number.NaN), gizmo(Number.POSITIVE_INFINITY), gizmo(2)]);
    const [file] = readdirSync(dir);
    const kept = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { verdicts: object };
    expect(Object.keys(kept.verdicts)).toHaveLength(1);
  });

  it('checks as without it where the cache cannot be read or written, and never fails', () => {
    const home = cacheDir();
    writeFileSync(`${home}-file`, 'not a folder');
    // A folder under a file: neither read nor written (as a read-only or missing cache).
    const unusable = join(`${home}-file`, 'crd-verdicts');
    dirs.push(`${home}-file`);
    for (let i = 0; i < 2; i++)
      expect(run(unusable, EVEN, [gizmo(3)])).toEqual([['spec: Invalid value: size must be even']]);
    // A damaged file (or one of another shape) is read as empty.
    const dir = cacheDir();
    run(dir, EVEN, [gizmo(2)]);
    const [file] = readdirSync(dir);
    for (const damaged of ['{"verdicts": {', '[1, 2]', '{"versions": {"x": 1}, "verdicts": {"y": [3]}}']) {
      writeFileSync(join(dir, file!), damaged);
      expect(run(dir, EVEN, [gizmo(3), gizmo(2)])).toEqual([['spec: Invalid value: size must be even'], []]);
    }
  });
});
