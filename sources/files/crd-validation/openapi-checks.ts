// The OpenAPI checks kube-openapi makes of each value before any validation rule runs (types, enum, bounds,
// patterns, formats, list types, required fields, oneOf/anyOf/not), worded as the API server reports them.
import { isIPv4, isIPv6 } from 'node:net';
import { join } from './crd-rules.ts';
import type { SchemaNode, ValueBounds } from './crd-schemas.ts';

/**
 * What a value breaks. `blocking`: a value of the wrong type or format, a required field missing, a value not in its
 * enum, a string or list too long (the API server runs no rule after those).
 */
export interface Problems {
  readonly list: string[];
  blocking: boolean;
}

/** The OpenAPI checks of one value (kube-openapi's), worded as the API server reports them. */
export function checkValue(value: unknown, node: SchemaNode, path: string, problems: Problems): void {
  const bounds = node.bounds;
  const add = (problem: string, blocking = false) => {
    problems.list.push(problem);
    if (blocking) problems.blocking = true;
  };
  const invalid = (detail: string) =>
    add(`${path}: Invalid value: ${goValue(value)}: ${path} in body ${detail}`);
  if (bounds.enum !== undefined && !bounds.enum.some((allowed) => allowed === value)) {
    add(
      `${path}: Unsupported value: ${prunedValue(value)}: supported values: ${bounds.enum.map((allowed) => JSON.stringify(String(allowed))).join(', ')}`,
      true,
    );
  }
  if (typeof value === 'string') {
    // kube-openapi stops at a string's first problem of length or pattern.
    const length = [...value].length;
    if (bounds.maxLength !== undefined && length > bounds.maxLength)
      add(`${path}: Too long: may not be more than ${bounds.maxLength} bytes`, true);
    else if (bounds.minLength !== undefined && length < bounds.minLength)
      invalid(`should be at least ${bounds.minLength} chars long`);
    else if (bounds.pattern !== undefined && !bounds.pattern.test(value))
      invalid(`should match '${bounds.pattern.source}'`);
    if (bounds.format !== undefined && !isFormat(value, bounds.format))
      add(
        `${path}: Invalid value: ${goValue(value)}: ${path} in body must be of type ${bounds.format}: ${goValue(value)}`,
        true,
      );
  } else if (typeof value === 'number') {
    const { minimum, maximum } = bounds;
    if (minimum !== undefined && (bounds.exclusiveMinimum ? value <= minimum : value < minimum))
      invalid(`should be greater than ${bounds.exclusiveMinimum ? '' : 'or equal to '}${minimum}`);
    else if (maximum !== undefined && (bounds.exclusiveMaximum ? value >= maximum : value > maximum))
      invalid(`should be less than ${bounds.exclusiveMaximum ? '' : 'or equal to '}${maximum}`);
  } else if (Array.isArray(value)) {
    if (bounds.maxItems !== undefined && value.length > bounds.maxItems)
      add(`${path}: Too many: ${value.length}: must have at most ${items(bounds.maxItems)}`, true);
    if (bounds.minItems !== undefined && value.length < bounds.minItems)
      add(
        `${path}: Invalid value: ${value.length}: ${path} in body should have at least ${bounds.minItems} items`,
      );
    if (bounds.listType !== undefined) duplicates(value, bounds, path, problems.list);
  } else if (value !== null && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    for (const name of bounds.required ?? []) {
      const missing = fields[name] === undefined || fields[name] === null;
      if (missing && node.properties?.get(name)?.default === undefined)
        add(`${join(path, name)}: Required value`, true);
    }
    const count = Object.keys(fields).length;
    if (bounds.maxProperties !== undefined && count > bounds.maxProperties)
      add(`${path}: Too many: ${count}: must have at most ${items(bounds.maxProperties)}`, true);
    if (bounds.minProperties !== undefined && count < bounds.minProperties)
      add(
        `${path}: Invalid value: ${count}: ${path} in body should have at least ${bounds.minProperties} properties`,
      );
  }
  if (node.oneOf !== undefined || node.anyOf !== undefined || node.not !== undefined)
    checkAlternatives(value, node, path, problems);
}

/**
 * `oneOf`, `anyOf` and `not`, reported as kube-openapi does: the composite failure (with no field), and of the
 * failing alternatives' own problems, those of the best `anyOf` alternative and the format problems of `oneOf`'s.
 */
function checkAlternatives(value: unknown, node: SchemaNode, path: string, problems: Problems): void {
  const tryBranch = (branch: SchemaNode): Problems => {
    const result: Problems = { list: [], blocking: false };
    branchProblems(value, branch, path, result);
    return result;
  };
  const composite = (detail: string) => problems.list.push(`<nil>: Invalid value: "": "${path}" ${detail}`);
  if (node.anyOf !== undefined) {
    const results = node.anyOf.map(tryBranch);
    if (!results.some((result) => result.list.length === 0)) {
      composite('must validate at least one schema (anyOf)');
      const best = results.reduce((a, b) => (b.list.length < a.list.length ? b : a));
      problems.list.push(...best.list);
      if (best.blocking) problems.blocking = true;
    }
  }
  if (node.oneOf !== undefined) {
    const results = node.oneOf.map(tryBranch);
    const valid = results.filter((result) => result.list.length === 0).length;
    if (valid !== 1) {
      composite(
        `must validate one and only one schema (oneOf). ${valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`}`,
      );
      for (const result of results) {
        const kept = result.list.filter(
          (problem) => problem.includes(' in body must be of type ') || problem.endsWith(' (anyOf)'),
        );
        problems.list.push(...kept);
        if (kept.length > 0 && result.blocking) problems.blocking = true;
      }
    }
  }
  if (node.not !== undefined && tryBranch(node.not).list.length === 0)
    composite('must not validate the schema (not)');
}

/** An alternative's checks: they constrain values only (no types, defaults or rules). */
function branchProblems(value: unknown, node: SchemaNode, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  checkValue(value, node, path, problems);
  if (Array.isArray(value)) {
    const items = node.items;
    if (items !== undefined) {
      value.forEach((item, i) => {
        branchProblems(item, items, `${path}[${i}]`, problems);
      });
    }
  } else if (typeof value === 'object') {
    for (const [name, child] of node.properties ?? [])
      branchProblems((value as Record<string, unknown>)[name], child, join(path, name), problems);
  }
}

function items(count: number): string {
  return `${count} ${count === 1 ? 'item' : 'items'}`;
}

/** kube-openapi's `ipv4` and `ipv6` formats (Go's net.ParseIP). */
function isFormat(value: string, format: 'ipv4' | 'ipv6'): boolean {
  return format === 'ipv4' ? isIPv4(value) : isIPv6(value) && value.includes(':');
}

/** Items of a `set` or `map` list that equal an earlier one (`map`: in the list's key fields). */
function duplicates(items: readonly unknown[], bounds: ValueBounds, path: string, problems: string[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const keys = bounds.listType === 'map' ? bounds.listMapKeys : undefined;
    if (keys !== undefined && (item === null || typeof item !== 'object' || Array.isArray(item))) {
      problems.push(
        `${path}[${i}]: Invalid value: ${prunedValue(item)}: must be an object for an array of list-type map`,
      );
      return;
    }
    const identity =
      keys === undefined || item === null || typeof item !== 'object'
        ? item
        : Object.fromEntries(
            keys
              .filter((key) => (item as Record<string, unknown>)[key] !== undefined)
              .map((key) => [key, (item as Record<string, unknown>)[key]]),
          );
    const id = JSON.stringify(identity);
    if (seen.has(id)) problems.push(`${path}[${i}]: Duplicate value: ${id}`);
    seen.add(id);
  });
}

/** A value where the schema wants a scalar, as the API server prints it once pruned: objects lose every field. */
function prunedValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(prunedValue).join(',')}]`;
  if (value !== null && typeof value === 'object') return '{}';
  return JSON.stringify(value);
}

/** A value as the API server's messages print it (Go's %#v for what JSON decodes to). */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[]interface {}{${value.map(goValue).join(', ')}}`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${goValue((value as Record<string, unknown>)[key])}`);
  return `map[string]interface {}{${entries.join(', ')}}`;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** kube-openapi's wording: `spec.port: Invalid value: "string": spec.port in body must be of type integer: "string"`. */
export function typeProblem(path: string, expected: string, value: unknown, problems: Problems): void {
  const got = kindOf(value);
  problems.list.push(
    `${path}: Invalid value: "${got}": ${path} in body must be of type ${expected}: "${got}"`,
  );
  problems.blocking = true;
}
