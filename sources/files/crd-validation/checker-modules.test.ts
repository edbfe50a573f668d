// The code a kept CRD verdict is keyed by (verdict-cache.ts) is every module the checks load, wherever it sits:
// a module outside this folder, or a package a dependency brings, that is left out would let a verdict of other
// code be read.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { checkerModules, checkerRoots } from './checker-modules.ts';
import { crdOf } from './testdata/crd-tests.ts';
import { checkerKey } from './verdict-cache.ts';

const FOLDER = dirname(fileURLToPath(import.meta.url));
const temporary = mkdtempSync(join(tmpdir(), 'switchyard-checker-modules-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** A CRD whose checks use every part of the checking code: schema values, formats, patterns, CEL and its extensions. */
const WIDGETS = crdOf('Widget', {
  v1: {
    type: 'object',
    properties: {
      size: { type: 'integer', minimum: 0 },
      owner: { type: 'string', pattern: '^[a-z]+$', maxLength: 20 },
      address: { type: 'string', format: 'ipv4' },
      link: { type: 'string' },
    },
    'x-kubernetes-validations': [
      { rule: 'self.size % 2 == 0', message: 'size must be even' },
      { rule: "self.owner.matches('^[a-z]+$') && self.owner.lowerAscii() == self.owner", message: 'owner' },
      { rule: '!has(self.address) || isIP(self.address)', message: 'address must be an IP' },
      { rule: "self.link.split('/').size() > 1", message: 'link must have a path' },
    ],
  },
});

it('keys verdicts by every module a check loads: each source file, and each package with its dependencies', () => {
  // A new process, as a run starts: every module it resolves is seen.
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        if (resolved.url.startsWith('file:')) loaded.add(resolved.url);
        return resolved;
      },
    });
    const { crdValidator } = await import(${JSON.stringify(pathToFileURL(join(FOLDER, 'crd-validator.ts')).href)});
    const { verdictCache } = await import(${JSON.stringify(pathToFileURL(join(FOLDER, 'verdict-cache.ts')).href)});
    const crd = ${JSON.stringify(WIDGETS)};
    const verdicts = verdictCache(${JSON.stringify(join(temporary, 'verdicts'))});
    const validator = crdValidator([crd], { later: new Set([crd]), verdicts });
    const spec = (size, owner, address, link) => ({ apiVersion: 'example.dev/v1', kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' }, spec: { size, owner, address, link } });
    const problems = [spec(2, 'a', '10.0.0.1', 'https://x.example/p'), spec(2, 'B', 'x', 'a/b'), spec(3, 'a', '10.0.0.2', 'nope')].map((o) => validator.validate(o));
    verdicts.save();
    console.log(JSON.stringify({ problems, loaded: [...loaded] }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  const { problems, loaded } = JSON.parse(run.stdout) as { problems: string[][]; loaded: string[] };
  // The checks ran, every part of them: a valid object, one the schema refuses, one the rules refuse.
  expect(problems[0]).toEqual([]);
  expect(problems[1]!.join('\n')).toMatch(/should match '\^\[a-z\]\+\$'[\s\S]*must be of type ipv4/);
  expect(problems[2]).toEqual([
    'spec: Invalid value: size must be even',
    'spec: Invalid value: link must have a path',
  ]);
  expect(loaded.some((url) => url.includes('/@bufbuild/cel/'))).toBe(true);

  const modules = checkerModules(checkerRoots(FOLDER, readdirSync(FOLDER)));
  // The package a file is part of: the folder under its last node_modules (a dist/ may hold a package.json too).
  const packageOf = (file: string) => {
    const at = file.lastIndexOf('/node_modules/') + '/node_modules/'.length;
    const parts = file.slice(at).split('/');
    const root = file.slice(0, at) + parts.slice(0, parts[0]!.startsWith('@') ? 2 : 1).join('/');
    const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    return `${name}@${version}`;
  };
  const missing = loaded
    .map((url) => fileURLToPath(url))
    .filter((file) =>
      file.includes('/node_modules/')
        ? !modules.packages.includes(packageOf(file))
        : !modules.files.includes(file),
    );
  expect(missing).toEqual([]);
  // What the checks load besides @bufbuild/cel and re2: the protobuf runtime, a peer dependency of cel.
  expect(modules.packages.some((id) => id.startsWith('@bufbuild/protobuf@'))).toBe(true);
});

it('gives another key when a module the checks import outside their folder changes, or a dependency of a package', () => {
  const root = join(temporary, 'project');
  const checks = join(root, 'checks');
  mkdirSync(checks, { recursive: true });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(checks, 'validator.ts'), "import { helper } from '../shared/helper.ts';\nimport 'rules-lib';\n");
  write(join(checks, 'validator.test.ts'), "import '../shared/test-only.ts';\n");
  write(join(checks, 'types.ts'), "import type { Only } from '../shared/types-only.ts';\n");
  write(join(root, 'shared', 'helper.ts'), "export const helper = 'one';\n");
  write(join(root, 'shared', 'test-only.ts'), '');
  write(join(root, 'shared', 'types-only.ts'), '');
  const manifest = (name: string, version: string, dependencies = {}) =>
    JSON.stringify({ name, version, main: 'index.js', peerDependencies: dependencies });
  write(
    join(root, 'node_modules', 'rules-lib', 'package.json'),
    manifest('rules-lib', '1.0.0', { 'rules-runtime': '^2' }),
  );
  write(join(root, 'node_modules', 'rules-runtime', 'package.json'), manifest('rules-runtime', '2.0.0'));
  const key = () => checkerKey(checks, readdirSync(checks));

  const first = key();
  expect(checkerModules(checkerRoots(checks, readdirSync(checks))).packages).toEqual([
    'rules-lib@1.0.0',
    'rules-runtime@2.0.0',
  ]);
  write(join(root, 'shared', 'helper.ts'), "export const helper = 'two';\n");
  const helperChanged = key();
  expect(helperChanged).not.toBe(first);
  write(join(root, 'node_modules', 'rules-runtime', 'package.json'), manifest('rules-runtime', '2.1.0'));
  const runtimeUpgraded = key();
  expect(runtimeUpgraded).not.toBe(helperChanged);
  // A test, or a module imported for its types only, is no checking code.
  write(join(root, 'shared', 'test-only.ts'), 'export {};\n');
  write(join(root, 'shared', 'types-only.ts'), 'export type Only = 1;\n');
  expect(key()).toBe(runtimeUpgraded);
});
