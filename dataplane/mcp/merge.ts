// How several servers' answers become one: capabilities, instructions and lists, each name carrying its backend
// (names.ts), tools filtered by the backend's selector, and the backends that could not answer named in `_meta`.
import type {
  Prompt,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { prefixName, prefixUri } from './names.ts';
import type { ToolSelector } from './tool-selector.ts';

/** The `_meta` key of a merged result listing the backends that could not answer (and why). */
export const UNAVAILABLE_META_KEY = 'switchyard/unavailableBackends';

export interface Unavailable {
  readonly backend: string;
  readonly error: string;
}

export interface BackendCapabilities {
  readonly backend: string;
  readonly capabilities: ServerCapabilities;
}

/**
 * The proxy's capabilities: each family some backend offers. `tools` is always offered, with `listChanged`, so a
 * backend that was down at initialize can join later (the client is told the list changed); list changes of
 * every family are relayed, so `listChanged` is on for each.
 */
export function mergeCapabilities(backends: readonly BackendCapabilities[]): ServerCapabilities {
  const merged: ServerCapabilities = { tools: { listChanged: true } };
  for (const { capabilities } of backends) {
    if (capabilities.prompts !== undefined) merged.prompts = { listChanged: true };
    if (capabilities.resources !== undefined)
      merged.resources = {
        listChanged: true,
        subscribe: (merged.resources?.subscribe ?? false) || capabilities.resources.subscribe === true,
      };
    if (capabilities.logging !== undefined) merged.logging = {};
    if (capabilities.completions !== undefined) merged.completions = {};
  }
  return merged;
}

/** Each backend's instructions under its name; undefined when none gave any. */
export function mergeInstructions(
  backends: readonly { readonly backend: string; readonly instructions: string | undefined }[],
): string | undefined {
  const parts = backends
    .filter((b) => b.instructions !== undefined && b.instructions.trim() !== '')
    .map((b) => `## ${b.backend}\n${b.instructions!.trim()}`);
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

export function exposedTools(backend: string, tools: readonly Tool[], selector: ToolSelector): Tool[] {
  return tools
    .filter((tool) => selector.allows(tool.name))
    .map((tool) => ({ ...tool, name: prefixName(backend, tool.name) }));
}

export function exposedPrompts(backend: string, prompts: readonly Prompt[]): Prompt[] {
  return prompts.map((prompt) => ({ ...prompt, name: prefixName(backend, prompt.name) }));
}

export function exposedResources(backend: string, resources: readonly Resource[]): Resource[] {
  return resources.map((resource) => ({ ...resource, uri: prefixUri(backend, resource.uri) }));
}

export function exposedResourceTemplates(
  backend: string,
  templates: readonly ResourceTemplate[],
): ResourceTemplate[] {
  return templates.map((template) => ({
    ...template,
    uriTemplate: prefixUri(backend, template.uriTemplate),
  }));
}

/** `_meta` naming the backends left out of a merged result; empty when every backend answered. */
export function unavailableMeta(unavailable: readonly Unavailable[]): { _meta?: Record<string, unknown> } {
  return unavailable.length === 0 ? {} : { _meta: { [UNAVAILABLE_META_KEY]: unavailable } };
}
