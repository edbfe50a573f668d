import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findManifestFiles, MANIFEST_LIMITS, parseManifests, readManifestFile } from './manifests.ts';

describe('parseManifests', () => {
  it('returns each document with the line it starts on, and expands Lists', () => {
    const parsed = parseManifests(
      'gw.yaml',
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: a}',
        '---',
        '# a comment',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - {apiVersion: v1, kind: Service, metadata: {name: b}}',
        '---',
        '',
      ].join('\n'),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.documents.map((d) => [d.origin, (d.object.metadata as { name: string }).name])).toEqual([
      ['gw.yaml:1', 'a'],
      ['gw.yaml:6', 'b'],
    ]);
  });

  it('reports unreadable YAML as file:line and takes nothing from that file', () => {
    const parsed = parseManifests(
      'bad.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [unclosed\n',
    );
    expect(parsed.documents).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatch(/^bad\.yaml:6: not valid YAML: Flow sequence/);
  });

  it('reads an explicit null as absent (null, ~ or nothing), as the API server prunes it; list items stay', () => {
    const parsed = parseManifests(
      'null.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: null}\nspec:\n  selector:\n  type: ~\n  ports: [{port: 80, name: null}, null]\n',
    );
    expect(parsed.documents[0]?.object).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'a' },
      spec: { ports: [{ port: 80 }, null] },
    });
  });

  it('rejects documents that are not mappings', () => {
    const parsed = parseManifests('list.yaml', '- a\n- b\n');
    expect(parsed.errors).toEqual([
      'list.yaml:1: not a Kubernetes manifest: a document must be a mapping with apiVersion, kind and metadata',
    ]);
  });
});

describe('the quick and careful YAML paths', () => {
  it('agree on documents and origins for plain manifests', () => {
    const manifest = [
      '# leading comment',
      '---',
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: web, namespace: apps, labels: {on: "yes"}}',
      'spec:',
      '  hostnames: ["*.example.com"]',
      '  rules:',
      '    - matches: [{path: {type: PathPrefix, value: /}}]',
      '      backendRefs: [{name: svc, port: 80, weight: 0x10}]',
      '--- # second',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: svc',
      '  annotations: {note: "a: b # not a comment"}',
      'spec: {ports: [{port: 80}], clusterIP: null, flag: on}',
    ].join('\n');
    const quick = parseManifests('m.yaml', manifest);
    expect(quick.documents.map((d) => d.origin)).toEqual(['m.yaml:3', 'm.yaml:12']);
    // The same text with an anchor takes the careful path; the documents must not differ.
    const careful = parseManifests('m.yaml', `${manifest}\nextra: &anchor 1\n`);
    expect(careful.documents.map((d) => d.origin)).toEqual(quick.documents.map((d) => d.origin));
    expect(careful.documents[0]?.object).toEqual(quick.documents[0]?.object);
    const { extra: _extra, ...secondWithoutExtra } = careful.documents[1]!.object as Record<string, unknown>;
    expect(secondWithoutExtra).toEqual(quick.documents[1]?.object);
  });
});

describe('hostile and careless files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-manifests-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const service = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\n`;
  const bomb = () => {
    let text = `${service('bomb')}data:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n`;
    for (let level = 0; level < 9; level++) {
      text += `  b${level}: &b${level} [${Array(10)
        .fill(level === 0 ? '*a' : `*b${level - 1}`)
        .join(', ')}]\n`;
    }
    return text;
  };
  // Each case: the file's content, and the one line it must be refused with.
  const cases: [string, () => string | Buffer, RegExp][] = [
    [
      'binary',
      () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      /: not a text file/,
    ],
    ['latin-1', () => Buffer.from(`${service('caf\xe9')}`, 'latin1'), /: not UTF-8 text$/],
    ['alias bomb', bomb, /:1: aliases expand to more than \d+ nodes/],
    [
      'deep flow nesting',
      () => `${service('deep')}spec: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`,
      /:4: nested deeper than 100 levels/,
    ],
    [
      'deep block nesting',
      () =>
        `${service('deep')}spec:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}\n`,
      /: nested deeper than 100 levels/,
    ],
    [
      'prose',
      () => 'Dear operator,\nplease route /api to the new backend.\nThanks!\n',
      /:1: not a Kubernetes manifest/,
    ],
    ['broken everywhere', () => 'a: b: c\n---\n'.repeat(5_000), /:1: not valid YAML: /],
    ['a scalar list', () => '- a\n- b\n', /:1: not a Kubernetes manifest/],
    [
      'a duplicate key',
      () => `${service('twice')}spec: {}\nspec: {}\n`,
      /:5: not valid YAML: .*(duplicate|Map keys must be unique)/i,
    ],
  ];
  it.each(cases)('refuses %s with one line naming the file and reason', async (name, content, reason) => {
    const file = join(dir, `${name.replaceAll(' ', '-')}.yaml`);
    writeFileSync(file, content());
    const read = await readManifestFile(file);
    expect(read.documents).toEqual([]);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0]?.startsWith(file)).toBe(true);
    expect(read.errors[0]).toMatch(reason);
  });

  it('refuses a file larger than the limit without reading it', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, MANIFEST_LIMITS.maxFileBytes + 1); // sparse: no disk, no memory
    const read = await readManifestFile(file);
    expect(read.errors).toEqual([
      `${file}: ${MANIFEST_LIMITS.maxFileBytes + 1} bytes is larger than the ${MANIFEST_LIMITS.maxFileBytes} a manifest file may have; split it`,
    ]);
  });

  it('skips a named pipe, socket or device in a directory with one line, and reads the rest (nothing waits on it)', async () => {
    const tree = mkdtempSync(join(dir, 'special-'));
    writeFileSync(join(tree, 'a.yaml'), service('a'));
    execFileSync('mkfifo', [join(tree, 'fifo.yaml')]);
    const listing = await findManifestFiles([tree]);
    expect(listing).toEqual({
      files: [join(tree, 'a.yaml')],
      errors: [`${join(tree, 'fifo.yaml')}: a named pipe, not a regular file; skipped`],
    });
  });

  it('reads a pipe named on the command line to its end (/dev/stdin), and refuses a device', async () => {
    const fifo = join(dir, 'named.yaml');
    execFileSync('mkfifo', [fifo]);
    // The writer opens once the reader has (as a shell's `cat … |` does).
    const writer = new Promise<void>((resolve) =>
      setTimeout(() => resolve(writeFileSync(fifo, service('piped'))), 50),
    );
    const [read] = await Promise.all([readManifestFile(fifo), writer]);
    expect(read.errors).toEqual([]);
    expect(read.documents.map((d) => d.object.metadata)).toEqual([{ name: 'piped' }]);
    expect((await readManifestFile('/dev/zero')).errors).toEqual([
      '/dev/zero: a character device, not a regular file or a pipe',
    ]);
  });

  it('reads a namespaced object without a namespace as it is (the source defaults it)', () => {
    const parsed = parseManifests('s.yaml', service('plain'));
    expect(parsed.documents[0]?.object.metadata).toEqual({ name: 'plain' });
  });

  it('reads a large List on a worker and yields to the event loop while taking its items', async () => {
    const count = 20_000;
    const items = Array.from(
      { length: count },
      (_, i) =>
        `  - apiVersion: v1\n    kind: Service\n    metadata: {name: svc-${i}, namespace: default}\n    spec: {ports: [{port: 80}]}`,
    );
    const file = join(dir, 'list.yaml');
    writeFileSync(file, `apiVersion: v1\nkind: List\nitems:\n${items.join('\n')}\n`);
    let turns = 0;
    let reading = true;
    const tick = () => {
      turns++;
      if (reading) setImmediate(tick);
    };
    setImmediate(tick);
    const read = await readManifestFile(file);
    reading = false;
    expect(read.errors).toEqual([]);
    expect(read.documents).toHaveLength(count);
    expect(read.documents[count - 1]?.object.metadata?.name).toBe(`svc-${count - 1}`);
    expect(read.documents[0]?.origin).toBe(`${file}:1`);
    // The worker's output (~2 MB of JSON) is taken back in steps of 256 KiB with a turn of the loop between.
    expect(turns).toBeGreaterThan(5);
  });
});
