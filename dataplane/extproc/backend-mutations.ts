// AIServiceBackend (and route backendRef) header and body mutations, applied to the translated request just
// before it leaves for the provider. Body paths are field names (a dot goes one object deeper); values are JSON
// when they read as JSON (`"scale"`, `42`, `true`, `{…}`, `[…]`, `null`) and strings otherwise, as in Envoy AI
// Gateway. Pseudo-headers and the gateway's own x-ai-eg-* headers cannot be mutated.
import { TranslationError } from './translator.ts';

export interface HeaderMutationConfig {
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export interface BodyMutationConfig {
  readonly set: readonly { readonly path: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export function isMutableHeader(name: string): boolean {
  return !name.startsWith(':') && !name.toLowerCase().startsWith('x-ai-eg-');
}

/** A body mutation value: parsed when it reads as JSON, else the text as a string. */
export function bodyValue(value: string): unknown {
  const trimmed = value.trim();
  const looksJson =
    /^"[\s\S]*"$/.test(trimmed) ||
    /^[-+]?[\d.]+([eE][-+]?\d+)?$/.test(trimmed) ||
    trimmed === 'true' ||
    trimmed === 'false' ||
    trimmed === 'null' ||
    /^\{[\s\S]*\}$/.test(trimmed) ||
    /^\[[\s\S]*\]$/.test(trimmed);
  if (!looksJson) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

/** The translated body with the mutation applied (removals first, then sets). */
export function mutateBody(body: string, mutation: BodyMutationConfig): string {
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    throw new TranslationError('the backend has a body mutation but the request body is not JSON');
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    throw new TranslationError('the backend has a body mutation but the request body is not a JSON object');
  for (const path of mutation.remove) {
    const { parent, key } = walk(root as Record<string, unknown>, path, false);
    if (parent !== undefined) delete parent[key];
  }
  for (const { path, value } of mutation.set) {
    const { parent, key } = walk(root as Record<string, unknown>, path, true);
    parent![key] = bodyValue(value);
  }
  return JSON.stringify(root);
}

function walk(
  root: Record<string, unknown>,
  path: string,
  create: boolean,
): { parent: Record<string, unknown> | undefined; key: string } {
  const keys = path.split('.');
  let node: Record<string, unknown> | undefined = root;
  for (const key of keys.slice(0, -1)) {
    const next: unknown = node[key];
    if (next !== null && typeof next === 'object' && !Array.isArray(next))
      node = next as Record<string, unknown>;
    else if (create) {
      const made: Record<string, unknown> = {};
      node[key] = made;
      node = made;
    } else return { parent: undefined, key: '' };
  }
  return { parent: node, key: keys.at(-1)! };
}
