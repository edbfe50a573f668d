// Checks an object against its CustomResourceDefinition as the API server does before it stores one: defaults
// applied, then every validation rule (x-kubernetes-validations) evaluated where it sits in the schema, for each
// value there (each item of a list, each entry of a map). Problems are worded as the API server words them:
// `spec.rules[0]: Invalid value: "object": <the rule's message>`.

import { isIPv4, isIPv6 } from 'node:net';
import { type CelMap, celList, celMap } from '@bufbuild/cel';
import type { RawObject } from '../../../model/resources/resource-events.ts';
import { checkRules, join } from './crd-rules.ts';
import {
  type CrdVersionSchema,
  compileVersion,
  type RuleCompiler,
  readCrd,
  ruleCompiler,
  type SchemaNode,
  servedVersions,
  type ValueBounds,
} from './crd-schemas.ts';

export interface CrdValidator {
  /**
   * What the API server would refuse the object for; empty when it would store it, or when no CRD given defines its
   * kind. `previous` is the object it replaces, for the rules that compare with it (`oldSelf`).
   */
  validate(object: RawObject, previous?: RawObject): string[];
  /** Whether the object's kind has rules comparing with the object it replaces (keep its last good definition). */
  comparesWithPrevious(object: RawObject): boolean;
  /** `Kind.group` of every kind a CRD was given for. */
  readonly kinds: readonly string[];
  /** How many rules were compiled (distinct rule texts). */
  readonly ruleCount: number;
}

export interface CrdValidatorOptions {
  /**
   * CRDs whose schemas and rules are compiled when the first object of one of their kind's versions is checked, not
   * now (for CRDs known to compile: compiling all of Gateway API's costs more than a small run does otherwise).
   */
  readonly later?: ReadonlySet<Record<string, unknown>>;
}

/**
 * A validator for the kinds the given CRDs define (plain objects as parsed; other kinds of object are skipped).
 * Throws when a rule or pattern of a CRD compiled now does not compile.
 */
export function crdValidator(
  crds: readonly Record<string, unknown>[],
  options: CrdValidatorOptions = {},
): CrdValidator {
  const texts = new Set<string>();
  const compile: RuleCompiler = ruleCompiler();
  const counting: RuleCompiler = (rule, where) => {
    const compiled = compile(rule, where);
    texts.add(compiled.rule);
    return compiled;
  };
  /** `group/kind` → version → its schema, or what compiles it on first use */
  const schemas = new Map<string, Map<string, CrdVersionSchema | (() => CrdVersionSchema)>>();
  const add = (
    group: string,
    kind: string,
    version: string,
    schema: CrdVersionSchema | (() => CrdVersionSchema),
  ) => {
    const id = `${group}/${kind}`;
    const versions = schemas.get(id) ?? new Map<string, CrdVersionSchema | (() => CrdVersionSchema)>();
    schemas.set(id, versions);
    versions.set(version, schema);
  };
  for (const crd of crds) {
    if (crd.kind !== 'CustomResourceDefinition') continue;
    if (!options.later?.has(crd)) {
      for (const version of readCrd(crd, counting))
        add(version.group, version.kind, version.version, version);
      continue;
    }
    for (const { group, kind, version } of servedVersions(crd)) {
      let compiled: CrdVersionSchema | Error | undefined;
      add(group, kind, version.name, () => {
        compiled ??= compileVersion(crd, version, counting);
        // A rule that does not compile fails every object of the kind, as the first one (see `validate`).
        if (compiled instanceof Error) throw compiled;
        return compiled;
      });
    }
  }
  const schemaOf = (object: RawObject): CrdVersionSchema | string | undefined => {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return undefined;
    const slash = object.apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : object.apiVersion.slice(0, slash);
    const versions = schemas.get(`${group}/${object.kind}`);
    if (versions === undefined) return undefined;
    const schema = versions.get(object.apiVersion.slice(slash + 1));
    if (schema === undefined)
      return `apiVersion: ${object.apiVersion} is not a version of ${object.kind} its CustomResourceDefinition serves (${[...versions.keys()].join(', ')})`;
    return typeof schema === 'function' ? schema() : schema;
  };
  return {
    kinds: [...schemas.keys()].map((id) => {
      const slash = id.indexOf('/');
      return `${id.slice(slash + 1)}.${id.slice(0, slash)}`;
    }),
    get ruleCount() {
      for (const versions of schemas.values())
        for (const schema of versions.values()) if (typeof schema === 'function') schema();
      return texts.size;
    },
    comparesWithPrevious: (object) => {
      try {
        const schema = schemaOf(object);
        return typeof schema === 'object' && schema.transitionRules;
      } catch {
        // Its CRD does not compile: `validate` names why.
        return false;
      }
    },
    validate(object, previous) {
      try {
        return check(object, previous);
      } catch (error) {
        // Fail closed: an object that cannot be checked is not applied, and the reason is named.
        return [
          `(object): cannot be checked against its CustomResourceDefinition: ${(error as Error).message}`,
        ];
      }
    },
  };

  function check(object: RawObject, previous: RawObject | undefined): string[] {
    const schema = schemaOf(object);
    if (schema === undefined) return [];
    if (typeof schema === 'string') return [schema];
    const problems: Problems = { list: [], blocking: false };
    const self = celValue(userPart(object, schema), schema.root, '', problems, true);
    // As the API server: after a problem of these kinds, the rules are not run.
    if (problems.blocking)
      return schema.root.hasRules ? [...problems.list, RULES_NOT_CHECKED] : problems.list;
    const oldSelf =
      previous === undefined || !schema.transitionRules
        ? undefined
        : celValue(userPart(previous, schema), schema.root, '', { list: [], blocking: false }, true);
    checkRules(schema.root, self, '', oldSelf, problems.list);
    return problems.list;
  }
}

/**
 * What a value breaks. `blocking`: a value of the wrong type or format, a required field missing, a value not in its
 * enum, a string or list too long (the API server runs no rule after those).
 */
interface Problems {
  readonly list: string[];
  blocking: boolean;
}

const RULES_NOT_CHECKED =
  '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** What a user's apply sets: status is a subresource, written by controllers, not validated with the spec. */
function userPart(object: RawObject, schema: CrdVersionSchema): RawObject {
  if (!schema.statusSubresource || object.status === undefined) return object;
  const { status: _status, ...rest } = object;
  return rest as RawObject;
}

/**
 * The value as CEL sees it: defaults applied (a copy: the object itself is not changed), integers as CEL ints, fields
 * the schema does not know pruned; a value of the wrong type is a problem. At the root only `metadata.name` and
 * `metadata.generateName` are visible, as in the API server.
 */
function celValue(value: unknown, node: SchemaNode, path: string, problems: Problems, root = false): unknown {
  if (value === undefined || value === null) return undefined;
  // The API server defaults first, then validates what it would store.
  const defaulted = node.defaulted.length > 0 ? withDefaults(value, node) : value;
  if (!root) checkValue(defaulted, node, path, problems);
  if (node.intOrString) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    typeProblem(path, 'integer or string', value, problems);
    return undefined;
  }
  switch (node.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        typeProblem(path, 'object', value, problems);
        return undefined;
      }
      const input = defaulted as Record<string, unknown>;
      const output = new Map<string, unknown>();
      const extra = node.additionalProperties;
      for (const name in input) {
        const field = input[name];
        if (field === undefined || field === null) continue;
        const child = node.properties?.get(name);
        let converted: unknown;
        if (child !== undefined) {
          converted =
            root && name === 'metadata'
              ? visibleMetadata(field)
              : celValue(field, child, join(path, name), problems);
        } else if (extra !== undefined) {
          converted = celValue(field, extra, `${path}[${name}]`, problems);
        } else if (node.preserveUnknownFields) {
          converted = untyped(field);
        }
        if (converted !== undefined) output.set(name, converted);
      }
      return cel(output);
    }
    case 'array': {
      if (!Array.isArray(value)) {
        typeProblem(path, 'array', value, problems);
        return undefined;
      }
      const items = node.items;
      return celList(
        value.map((item, i) =>
          items === undefined ? untyped(item) : (celValue(item, items, `${path}[${i}]`, problems) ?? null),
        ) as never,
      );
    }
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      break;
    case 'number':
      if (typeof value === 'number') return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    default:
      return untyped(value);
  }
  const format = node.bounds.numberFormat;
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (format !== undefined && isObject && (node.type === 'integer' || node.type === 'number')) {
    // kube-openapi reads an object where a number of a format is wanted as of no type, and names the format.
    problems.list.push(`${path}: Invalid value: "": ${path} in body must be of type ${format}: ""`);
    problems.blocking = true;
  } else {
    typeProblem(path, node.type, value, problems);
  }
  return undefined;
}

/** The OpenAPI checks of one value (kube-openapi's), worded as the API server reports them. */
function checkValue(value: unknown, node: SchemaNode, path: string, problems: Problems): void {
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

/** An object with its absent fields that have a default set to it (a copy); anything else as it is. */
function withDefaults(value: unknown, node: SchemaNode): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [name, child] of node.defaulted) {
    if (fields[name] !== undefined && fields[name] !== null) continue;
    copy ??= { ...fields };
    copy[name] = child.default;
  }
  return copy ?? value;
}

function visibleMetadata(metadata: unknown): CelMap {
  const visible = new Map<string, string>();
  if (metadata === null || typeof metadata !== 'object') return cel(visible);
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  if (typeof name === 'string') visible.set('name', name);
  if (typeof generateName === 'string') visible.set('generateName', generateName);
  return cel(visible);
}

/** Converted once: CEL would otherwise wrap a plain object again at every access. */
function cel(map: Map<string, unknown>): CelMap {
  return celMap(map as never);
}

/** A value under `x-kubernetes-preserve-unknown-fields` or without a type: JSON as CEL reads it. */
function untyped(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return celList(value.map(untyped) as never);
  if (typeof value === 'object') {
    const output = new Map<string, unknown>();
    for (const [name, field] of Object.entries(value)) if (field !== null) output.set(name, untyped(field));
    return cel(output);
  }
  return value;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** kube-openapi's wording: `spec.port: Invalid value: "string": spec.port in body must be of type integer: "string"`. */
function typeProblem(path: string, expected: string, value: unknown, problems: Problems): void {
  const got = kindOf(value);
  problems.list.push(
    `${path}: Invalid value: "${got}": ${path} in body must be of type ${expected}: "${got}"`,
  );
  problems.blocking = true;
}
