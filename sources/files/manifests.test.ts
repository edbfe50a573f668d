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
