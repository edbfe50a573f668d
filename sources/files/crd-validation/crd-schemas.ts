// The structural schemas of CustomResourceDefinitions, read for what files mode checks as the API server would:
// the defaults it applies before validating, the types CEL sees, and the validation rules
// (x-kubernetes-validations), each compiled once. No API server validates input in files mode.
import type { CelResult } from '@bufbuild/cel';
import type { RE2JS } from '@bufbuild/re2';
import { celLibrary, re2Library } from './cel-library.ts';
import { kubernetesCelEnv } from './kubernetes-cel.ts';

export interface CompiledRule {
  readonly rule: string;
  /** The message the API server gives when the rule fails: `message`, or "failed rule: <rule>". */
  readonly message: string;
  readonly messageExpression?: Program;
  /** `FieldValueInvalid` (the default), `FieldValueRequired`, `FieldValueForbidden` or `FieldValueDuplicate`. */
  readonly reason: string;
  /** Relative to the field the rule sits on (`.spec.x`, `['a.b']`). */
  readonly fieldPath?: string;
  /** Refers to `oldSelf`: checked on an update only, against the object before it. */
  readonly transition: boolean;
  readonly program: Program;
}

type Program = (bindings: { self: unknown; oldSelf?: unknown }) => CelResult;

export interface SchemaNode {
  readonly type?: string;
  /** The OpenAPI value checks the API server makes before the rules (`enum`, `maxItems`, `pattern`, …). */
  readonly bounds: ValueBounds;
  readonly properties?: ReadonlyMap<string, SchemaNode>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode;
  /** Schemas the value must match one of, at least one of, or not (Gateway addresses: IP when of type IPAddress). */
  readonly oneOf?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
  readonly not?: SchemaNode;
  readonly default?: unknown;
  readonly intOrString: boolean;
  readonly preserveUnknownFields: boolean;
  readonly rules: readonly CompiledRule[];
  /** The properties that have a default. */
  readonly defaulted: readonly (readonly [string, SchemaNode])[];
  /** The properties with rules in them. */
  readonly checked: readonly (readonly [string, SchemaNode])[];
  /** This node or one below it has rules: subtrees without any are not walked. */
  readonly hasRules: boolean;
}

export interface ValueBounds {
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly maxItems?: number;
  readonly minItems?: number;
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly maxProperties?: number;
  readonly minProperties?: number;
  readonly pattern?: Pattern;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  /** `x-kubernetes-list-type`: `set` and `map` lists hold no two equal items (`map`: by `x-kubernetes-list-map-keys`). */
  readonly listType?: string;
  readonly listMapKeys?: readonly string[];
  /** The string formats kube-openapi checks that the CRDs we validate against use. */
  readonly format?: 'ipv4' | 'ipv6';
  /** `int32`, `int64`, … : named in a number's type problem. */
  readonly numberFormat?: string;
}

/** One served version of a kind. */
export interface CrdVersionSchema {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly root: SchemaNode;
  /** status is a subresource: what a user applies carries no status that counts. */
  readonly statusSubresource: boolean;
  readonly transitionRules: boolean;
}

/**
 * A rule or pattern that does not compile: the CRD cannot be enforced as written. Thrown as the schema is read, or
 * when the rule is first evaluated (the pattern first matched) where it is compiled then.
 */
export class RuleCompileError extends Error {}

/**
 * Reads the served versions of a CustomResourceDefinition (a plain object as parsed from YAML). Rules and patterns
 * are compiled through `compile` (now or on first use, as it says), which callers share across CRDs so that a rule
 * text is compiled once.
 */
export function readCrd(crd: Record<string, unknown>, compile: RuleCompiler): CrdVersionSchema[] {
  const spec = crd.spec as
    | {
        group?: string;
        names?: { kind?: string };
        versions?: {
          name: string;
          served?: boolean;
          schema?: { openAPIV3Schema?: unknown };
          subresources?: { status?: unknown };
        }[];
      }
    | undefined;
  const group = spec?.group;
  const kind = spec?.names?.kind;
  if (typeof group !== 'string' || typeof kind !== 'string') return [];
  const versions: CrdVersionSchema[] = [];
  for (const version of spec?.versions ?? []) {
    if (version.served === false) continue;
    const where = `${kind}.${group}/${version.name}`;
    let transitionRules = false;
    const reader: NodeReader = {
      rule: (rule) => {
        const compiled = compile.rule(rule, where);
        transitionRules ||= compiled.transition;
        return compiled;
      },
      lazy: compile.lazy,
    };
    const root = readNode(version.schema?.openAPIV3Schema, where, '', reader);
    versions.push({
      group,
      kind,
      version: version.name,
      root,
      statusSubresource: version.subresources?.status !== undefined,
      transitionRules,
    });
  }
  return versions;
}

export type ServedVersion = NonNullable<NonNullable<CrdSpec['versions']>[number]>;
interface CrdSpec {
  group?: unknown;
  names?: { kind?: unknown };
  versions?: { name: string; served?: boolean }[];
}

/** The versions of a CRD `readCrd` would read, without reading their schemas. */
export function servedVersions(
  crd: Record<string, unknown>,
): { group: string; kind: string; version: ServedVersion }[] {
  const spec = crd.spec as CrdSpec | undefined;
  const group = spec?.group;
  const kind = spec?.names?.kind;
  if (typeof group !== 'string' || typeof kind !== 'string') return [];
  return (spec?.versions ?? [])
    .filter((version) => version.served !== false)
    .map((version) => ({ group, kind, version }));
}

/** One version of a CRD read and compiled (or why it does not compile). */
export function compileVersion(
  crd: Record<string, unknown>,
  version: ServedVersion,
  compile: RuleCompiler,
): CrdVersionSchema | Error {
  try {
    const [schema] = readCrd({ ...crd, spec: { ...(crd.spec as object), versions: [version] } }, compile);
    if (schema === undefined) throw new Error(`version ${version.name} cannot be read`);
    return schema;
  } catch (error) {
    return error as Error;
  }
}

export interface RuleCompiler {
  /**
   * Compiles each rule (and pattern) when it is first evaluated rather than as the schema is read: most of a CRD's
   * rules sit on fields a small input never sets (HTTPRoute v1 has ~100). A rule that does not compile then throws
   * `RuleCompileError` from its evaluation.
   */
  readonly lazy: boolean;
  rule(rule: RawRule, where: string): CompiledRule;
}

interface RawRule {
  readonly rule?: unknown;
  readonly message?: unknown;
  readonly messageExpression?: unknown;
  readonly reason?: unknown;
  readonly fieldPath?: unknown;
}

export interface RuleCompilers {
  /** Compiles as a schema is read: a rule that does not compile throws there. */
  readonly now: RuleCompiler;
  /** Compiles each rule when it is first evaluated. */
  readonly later: RuleCompiler;
  /** Compiles every rule `later` has read and not compiled yet; throws for the first that does not compile. */
  compileAll(): void;
}

/** Compilers sharing one program per distinct rule text. */
export function ruleCompilers(): RuleCompilers {
  const programs = new Map<string, Program>();
  const program = (text: string, where: string): Program => {
    let compiled = programs.get(text);
    if (compiled === undefined) {
      try {
        const { parse, plan } = celLibrary();
        compiled = plan(kubernetesCelEnv(), parse(text)) as Program;
      } catch (error) {
        throw new RuleCompileError(
          `${where}: rule ${JSON.stringify(text)} does not compile: ${(error as Error).message}`,
        );
      }
      programs.set(text, compiled);
    }
    return compiled;
  };
  const pending: (() => void)[] = [];
  const onFirstCall = (text: string, where: string): Program => {
    let compiled: Program | undefined;
    const compile = () => {
      compiled ??= program(text, where);
      return compiled;
    };
    pending.push(compile);
    return (bindings) => compile()(bindings);
  };
  const compiler = (lazy: boolean): RuleCompiler => ({
    lazy,
    rule(raw, where) {
      if (typeof raw.rule !== 'string')
        throw new RuleCompileError(`${where}: a validation rule without rule text`);
      const rule = raw.rule;
      const compile = lazy ? onFirstCall : program;
      return {
        rule,
        message: typeof raw.message === 'string' && raw.message !== '' ? raw.message : `failed rule: ${rule}`,
        ...(typeof raw.messageExpression === 'string'
          ? { messageExpression: compile(raw.messageExpression, where) }
          : {}),
        reason: typeof raw.reason === 'string' ? raw.reason : 'FieldValueInvalid',
        ...(typeof raw.fieldPath === 'string' ? { fieldPath: raw.fieldPath } : {}),
        transition: /\boldSelf\b/.test(rule),
        program: compile(rule, where),
      };
    },
  });
  return {
    now: compiler(false),
    later: compiler(true),
    compileAll() {
      for (const compile of pending) compile();
    },
  };
}

/** How `readNode` compiles: a schema's rules (through its CRD's compiler) and patterns, now or on first use. */
interface NodeReader {
  rule(rule: RawRule): CompiledRule;
  readonly lazy: boolean;
}

function readNode(raw: unknown, where: string, path: string, reader: NodeReader): SchemaNode {
  const schema = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const rules = Array.isArray(schema['x-kubernetes-validations'])
    ? (schema['x-kubernetes-validations'] as RawRule[]).map((rule) => reader.rule(rule ?? {}))
    : [];
  let hasRules = rules.length > 0;
  let properties: Map<string, SchemaNode> | undefined;
  if (schema.properties !== null && typeof schema.properties === 'object') {
    properties = new Map();
    for (const [name, child] of Object.entries(schema.properties as Record<string, unknown>)) {
      const node = readNode(child, where, `${path}.${name}`, reader);
      hasRules ||= node.hasRules;
      properties.set(name, node);
    }
  }
  const items = schema.items === undefined ? undefined : readNode(schema.items, where, `${path}[]`, reader);
  const additionalProperties =
    schema.additionalProperties !== null && typeof schema.additionalProperties === 'object'
      ? readNode(schema.additionalProperties, where, `${path}{}`, reader)
      : undefined;
  hasRules ||= (items?.hasRules ?? false) || (additionalProperties?.hasRules ?? false);
  const alternatives = (name: string) =>
    Array.isArray(schema[name])
      ? (schema[name] as unknown[]).map((branch, i) =>
          readNode(branch, where, `${path}(${name} ${i})`, reader),
        )
      : undefined;
  const oneOf = alternatives('oneOf');
  const anyOf = alternatives('anyOf');
  const not = schema.not === undefined ? undefined : readNode(schema.not, where, `${path}(not)`, reader);
  return {
    ...(typeof schema.type === 'string' ? { type: schema.type } : {}),
    bounds: readBounds(schema, where, path, reader.lazy),
    ...(properties === undefined ? {} : { properties }),
    ...(items === undefined ? {} : { items }),
    ...(additionalProperties === undefined ? {} : { additionalProperties }),
    ...(oneOf === undefined ? {} : { oneOf }),
    ...(anyOf === undefined ? {} : { anyOf }),
    ...(not === undefined ? {} : { not }),
    ...(schema.default === undefined ? {} : { default: schema.default }),
    intOrString: schema['x-kubernetes-int-or-string'] === true,
    preserveUnknownFields: schema['x-kubernetes-preserve-unknown-fields'] === true,
    rules,
    defaulted: [...(properties ?? [])].filter(([, child]) => child.default !== undefined),
    checked: [...(properties ?? [])].filter(([, child]) => child.hasRules),
    hasRules,
  };
}

function readBounds(
  schema: Record<string, unknown>,
  where: string,
  path: string,
  lazy: boolean,
): ValueBounds {
  const bounds: Record<string, unknown> = {};
  for (const name of [
    'maxItems',
    'minItems',
    'maxLength',
    'minLength',
    'maxProperties',
    'minProperties',
    'minimum',
    'maximum',
  ] as const) {
    if (typeof schema[name] === 'number') bounds[name] = schema[name];
  }
  if (schema.exclusiveMinimum === true) bounds.exclusiveMinimum = true;
  if (schema.exclusiveMaximum === true) bounds.exclusiveMaximum = true;
  if (Array.isArray(schema.required))
    bounds.required = schema.required.filter((name) => typeof name === 'string');
  if (Array.isArray(schema.enum)) bounds.enum = schema.enum;
  if (typeof schema.pattern === 'string')
    bounds.pattern = pattern(schema.pattern, `${where} ${path || '(root)'}`, lazy);
  if (schema.format === 'ipv4' || schema.format === 'ipv6') bounds.format = schema.format;
  if ((schema.type === 'integer' || schema.type === 'number') && typeof schema.format === 'string')
    bounds.numberFormat = schema.format;
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set' || listType === 'map') bounds.listType = listType;
  const keys = schema['x-kubernetes-list-map-keys'];
  if (Array.isArray(keys)) bounds.listMapKeys = keys.filter((key) => typeof key === 'string');
  return bounds;
}

/** A schema's `pattern`, matched as the API server matches it: with Go's regexp, which is RE2. */
export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

/** Compiled once per distinct pattern: a CRD holds hundreds of patterns, mostly the same few dozen. */
const patterns = new Map<string, RE2JS>();

/** `lazy`: compiled when it first matches a value (and throws `RuleCompileError` there if it does not compile). */
function pattern(source: string, where: string, lazy: boolean): Pattern {
  if (!lazy) {
    const regex = compiledPattern(source, where);
    return { source, test: (text) => regex.test(text) };
  }
  let regex: RE2JS | undefined;
  return {
    source,
    test: (text) => {
      regex ??= compiledPattern(source, where);
      return regex.test(text);
    },
  };
}

function compiledPattern(source: string, where: string): RE2JS {
  let regex = patterns.get(source);
  if (regex === undefined) {
    try {
      regex = re2Library().RE2JS.compile(source);
    } catch (error) {
      throw new RuleCompileError(
        `${where}: pattern ${JSON.stringify(source)} does not compile: ${(error as Error).message}`,
      );
    }
    patterns.set(source, regex);
  }
  return regex;
}
