// Checks an object against its CustomResourceDefinition as the API server does before it stores one: defaults
// applied, then every validation rule (x-kubernetes-validations) evaluated where it sits in the schema, for each
// value there (each item of a list, each entry of a map). Problems are worded as the API server words them:
// `spec.rules[0]: Invalid value: "object": <the rule's message>`.

import type { RawObject } from '../../../model/resources/resource-events.ts';
import { celLibrary } from './cel-library.ts';
import { checkRules, join } from './crd-rules.ts';
import {
  type CrdVersionSchema,
  compileVersion,
  RuleCompileError,
  type RuleCompiler,
  ruleCompilers,
  type SchemaNode,
  type ServedVersion,
  servedVersions,
} from './crd-schemas.ts';
import { checkValue, type Problems, typeProblem } from './openapi-checks.ts';
import type { VerdictCache } from './verdict-cache.ts';

export interface CrdValidator {
  /**
   * What the API server would refuse the object for; empty when it would store it, or when no CRD given defines its
   * kind. `previous` is the object it replaces, for the rules that compare with it (`oldSelf`).
   */
  validate(object: RawObject, previous?: RawObject): string[];
  /** Whether a CRD given defines the object's kind and serves its version (`validate` checks it against that). */
  covers(object: RawObject): boolean;
  /** Whether the object's kind has rules comparing with the object it replaces (keep its last good definition). */
  comparesWithPrevious(object: RawObject): boolean;
  /** `Kind.group` of every kind a CRD was given for. */
  readonly kinds: readonly string[];
  /** How many distinct rule texts the CRDs hold, every one compiled (throws naming the first that does not). */
  readonly ruleCount: number;
}

export interface CrdValidatorOptions {
  /**
   * CRDs whose schemas are read when the first object of one of their kind's versions is checked, not now, and each
   * of whose rules and patterns is compiled when first evaluated (for CRDs known to compile: compiling all of
   * Gateway API's costs more than a small run does otherwise). A rule that does not compile refuses the object that
   * needed it and every later object of that kind and version, naming the CRD and the rule.
   */
  readonly later?: ReadonlySet<Record<string, unknown>>;
  /**
   * Verdicts kept by earlier runs (verdict-cache.ts): an object checked before against the same CRD version by the
   * same code gets what it got then, without its schema being compiled or CEL loaded. Objects checked as an update
   * (`previous` given) are always checked.
   */
  readonly verdicts?: VerdictCache;
}

/** One served version of a CRD: compiled on first use (or at start), keyed for the verdict cache on first use. */
interface VersionEntry {
  schema(): CrdVersionSchema;
  /** Whether `schema()` has been called (and so a broken version is known as broken). */
  readonly compiled: boolean;
  verdictKey(cache: VerdictCache): string;
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
  const compilers = ruleCompilers();
  const counting = (compiler: RuleCompiler): RuleCompiler => ({
    lazy: compiler.lazy,
    rule(rule, where) {
      const compiled = compiler.rule(rule, where);
      texts.add(compiled.rule);
      return compiled;
    },
  });
  const now = counting(compilers.now);
  const later = counting(compilers.later);
  /** Versions a rule or pattern compiled on first use failed in: each of their objects is refused with that error. */
  const broken = new Map<CrdVersionSchema, Error>();
  /** `group/kind` → version → its schema, compiled at start or on first use */
  const schemas = new Map<string, Map<string, VersionEntry>>();
  const entry = (
    crd: Record<string, unknown>,
    group: string,
    kind: string,
    version: ServedVersion,
    compile: RuleCompiler,
  ): VersionEntry => {
    let compiled: CrdVersionSchema | Error | undefined;
    let key: string | undefined;
    return {
      schema() {
        compiled ??= compileVersion(crd, version, compile);
        // A rule that does not compile fails every object of the kind, as the first one (see `validate`).
        if (compiled instanceof Error) throw compiled;
        return compiled;
      },
      get compiled() {
        return compiled !== undefined;
      },
      // What `compileVersion` reads of the CRD: its group, kind and this version.
      verdictKey: (cache) => {
        key ??= cache.versionKey(JSON.stringify({ group, kind, version }));
        return key;
      },
    };
  };
  for (const crd of crds) {
    if (crd.kind !== 'CustomResourceDefinition') continue;
    const compile = options.later?.has(crd) ? later : now;
    for (const { group, kind, version } of servedVersions(crd)) {
      const id = `${group}/${kind}`;
      const versions = schemas.get(id) ?? new Map<string, VersionEntry>();
      schemas.set(id, versions);
      const served = entry(crd, group, kind, version, compile);
      // Given CRDs compile now: a rule that does not compile is named at start.
      if (compile === now) served.schema();
      versions.set(version.name, served);
    }
  }
  const entryOf = (object: RawObject): VersionEntry | string | undefined => {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return undefined;
    const slash = object.apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : object.apiVersion.slice(0, slash);
    const versions = schemas.get(`${group}/${object.kind}`);
    if (versions === undefined) return undefined;
    const served = versions.get(object.apiVersion.slice(slash + 1));
    if (served === undefined)
      return `apiVersion: ${object.apiVersion} is not a version of ${object.kind} its CustomResourceDefinition serves (${[...versions.keys()].join(', ')})`;
    return served;
  };
  const verdicts = options.verdicts;
  return {
    kinds: [...schemas.keys()].map((id) => {
      const slash = id.indexOf('/');
      return `${id.slice(slash + 1)}.${id.slice(0, slash)}`;
    }),
    get ruleCount() {
      for (const versions of schemas.values()) for (const served of versions.values()) served.schema();
      compilers.compileAll();
      return texts.size;
    },
    covers: (object) => typeof entryOf(object) === 'object',
    comparesWithPrevious: (object) => {
      try {
        const served = entryOf(object);
        if (typeof served !== 'object') return false;
        const kept =
          verdicts === undefined || served.compiled
            ? undefined
            : verdicts.transitionRules(served.verdictKey(verdicts));
        if (kept !== undefined) return kept;
        const schema = served.schema();
        return !broken.has(schema) && schema.transitionRules;
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
    const served = entryOf(object);
    if (served === undefined) return [];
    if (typeof served === 'string') return [served];
    // A version found broken in this run refuses its objects whatever was kept (see `checkVersion`).
    const brokenNow = served.compiled && broken.has(served.schema());
    if (verdicts === undefined || previous !== undefined || brokenNow)
      return checkVersion(served.schema(), object, previous);
    const key = served.verdictKey(verdicts);
    const kept = verdicts.get(key, object);
    if (kept !== undefined) return [...kept];
    const schema = served.schema();
    const problems = checkVersion(schema, object, undefined);
    verdicts.set(key, object, problems, schema.transitionRules);
    return problems;
  }

  function checkVersion(
    schema: CrdVersionSchema,
    object: RawObject,
    previous: RawObject | undefined,
  ): string[] {
    const error = broken.get(schema);
    if (error !== undefined) throw error;
    try {
      return checkAgainst(schema, object, previous);
    } catch (error) {
      // A rule or pattern compiled on first use that does not compile: this version cannot be enforced as written,
      // so every object of it from now on is refused as this one is.
      if (error instanceof RuleCompileError) broken.set(schema, error);
      throw error;
    }
  }

  function checkAgainst(
    schema: CrdVersionSchema,
    object: RawObject,
    previous: RawObject | undefined,
  ): string[] {
    const problems: Problems = { list: [], blocking: false };
    // The values the rules see are CEL's; a kind without rules is checked on plain values, without loading CEL.
    const values = schema.root.hasRules ? celValues() : PLAIN_VALUES;
    const self = celValue(userPart(object, schema), schema.root, '', problems, values, true);
    // As the API server: after a problem of these kinds, the rules are not run.
    if (problems.blocking)
      return schema.root.hasRules ? [...problems.list, RULES_NOT_CHECKED] : problems.list;
    const oldSelf =
      previous === undefined || !schema.transitionRules
        ? undefined
        : celValue(userPart(previous, schema), schema.root, '', { list: [], blocking: false }, values, true);
    checkRules(schema.root, self, '', oldSelf, problems.list);
    return problems.list;
  }
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
function celValue(
  value: unknown,
  node: SchemaNode,
  path: string,
  problems: Problems,
  values: Values,
  root = false,
): unknown {
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
              ? visibleMetadata(field, values)
              : celValue(field, child, join(path, name), problems, values);
        } else if (extra !== undefined) {
          converted = celValue(field, extra, `${path}[${name}]`, problems, values);
        } else if (node.preserveUnknownFields) {
          converted = untyped(field, values);
        }
        if (converted !== undefined) output.set(name, converted);
      }
      return values.map(output);
    }
    case 'array': {
      if (!Array.isArray(value)) {
        typeProblem(path, 'array', value, problems);
        return undefined;
      }
      const items = node.items;
      return values.list(
        value.map((item, i) =>
          items === undefined
            ? untyped(item, values)
            : (celValue(item, items, `${path}[${i}]`, problems, values) ?? null),
        ),
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
      return untyped(value, values);
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

function visibleMetadata(metadata: unknown, values: Values): unknown {
  const visible = new Map<string, string>();
  if (metadata === null || typeof metadata !== 'object') return values.map(visible);
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  if (typeof name === 'string') visible.set('name', name);
  if (typeof generateName === 'string') visible.set('generateName', generateName);
  return values.map(visible);
}

/** How converted maps and lists are held: as CEL values for the rules, or as they are when no rule reads them. */
interface Values {
  map(fields: Map<string, unknown>): unknown;
  list(items: unknown[]): unknown;
}

const PLAIN_VALUES: Values = { map: (fields) => fields, list: (items) => items };

let celConverted: Values | undefined;

/** CEL's values (the library loads on the first object with rules). Converted once: CEL would otherwise wrap a
 * plain object again at every access. */
function celValues(): Values {
  if (celConverted === undefined) {
    const { celList, celMap } = celLibrary();
    celConverted = { map: (fields) => celMap(fields as never), list: (items) => celList(items as never) };
  }
  return celConverted;
}

/** A value under `x-kubernetes-preserve-unknown-fields` or without a type: JSON as CEL reads it. */
function untyped(value: unknown, values: Values): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return values.list(value.map((item) => untyped(item, values)));
  if (typeof value === 'object') {
    const output = new Map<string, unknown>();
    for (const [name, field] of Object.entries(value))
      if (field !== null) output.set(name, untyped(field, values));
    return values.map(output);
  }
  return value;
}
