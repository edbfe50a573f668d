import { describe, expect, it } from 'vitest';
import {
  exposedResources,
  exposedTools,
  mergeCapabilities,
  mergeInstructions,
  UNAVAILABLE_META_KEY,
  unavailableMeta,
} from './merge.ts';
import { splitName, splitUri } from './names.ts';
import { toolSelector } from './tool-selector.ts';

describe('merging several servers into one', () => {
  it('offers each family some backend offers, tools always, with list changes relayed', () => {
    expect(mergeCapabilities([])).toEqual({ tools: { listChanged: true } });
    expect(
      mergeCapabilities([
        { backend: 'a', capabilities: { tools: {}, resources: { subscribe: true } } },
        { backend: 'b', capabilities: { prompts: {}, resources: {}, logging: {}, completions: {} } },
      ]),
    ).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      logging: {},
      completions: {},
    });
  });

  it('prefixes names and URIs with the backend, and they split back one way only', () => {
    const tools = exposedTools(
      'git-hub',
      [
        { name: 'search__code', inputSchema: { type: 'object' } },
        { name: 'secret', inputSchema: { type: 'object' } },
      ],
      toolSelector({ exclude: ['secret'] }),
    );
    expect(tools.map((tool) => tool.name)).toEqual(['git-hub__search__code']);
    expect(splitName('git-hub__search__code')).toEqual({ backend: 'git-hub', name: 'search__code' });
    expect(splitName('plain')).toBeUndefined();
    expect(splitName('__x')).toBeUndefined();
    const [resource] = exposedResources('docs', [{ uri: 'file:///a+b', name: 'a' }]);
    expect(resource!.uri).toBe('docs+file:///a+b');
    expect(splitUri(resource!.uri)).toEqual({ backend: 'docs', name: 'file:///a+b' });
  });

  it('names the backends that could not answer, and says nothing when all did', () => {
    expect(unavailableMeta([])).toEqual({});
    expect(unavailableMeta([{ backend: 'b', error: 'down' }])).toEqual({
      _meta: { [UNAVAILABLE_META_KEY]: [{ backend: 'b', error: 'down' }] },
    });
    expect(
      mergeInstructions([
        { backend: 'a', instructions: 'use a' },
        { backend: 'b', instructions: ' ' },
      ]),
    ).toBe('## a\nuse a');
  });
});

describe('tool selection', () => {
  it('includes by name or expression, excludes win, expressions match anywhere unless anchored', () => {
    const selector = toolSelector({
      include: ['read'],
      includeRegex: ['issues?'],
      exclude: ['delete_issue'],
    });
    expect(
      ['read', 'list_issues', 'issue_read', 'delete_issue', 'write'].filter((t) => selector.allows(t)),
    ).toEqual(['read', 'list_issues', 'issue_read']);
    const anchored = toolSelector({ excludeRegex: ['^internal_'] });
    expect(anchored.allows('internal_x')).toBe(false);
    expect(anchored.allows('x_internal_y')).toBe(true);
    expect(toolSelector({}).allows('anything')).toBe(true);
  });
});
