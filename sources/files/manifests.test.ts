import { describe, expect, it } from 'vitest';
import { parseManifests } from './manifests.ts';

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
    expect(parsed.errors[0]).toMatch(/^bad\.yaml:6: Flow sequence/);
  });

  it('rejects documents that are not mappings', () => {
    const parsed = parseManifests('list.yaml', '- a\n- b\n');
    expect(parsed.errors).toEqual([
      'list.yaml:1: a manifest must be a mapping with apiVersion, kind and metadata',
    ]);
  });
});
