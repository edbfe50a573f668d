// The CRDs' validation rules (x-kubernetes-validations) evaluated where each sits in the schema, for every item of
// a list and entry of a map, with a failed rule worded as the API server words it: its field (or fieldPath), its
// reason, its message or messageExpression, and cel-go's words for an evaluation error.
import type { CelList, CelResult } from '@bufbuild/cel';
import { celLibrary } from './cel-library.ts';
import type { CompiledRule, SchemaNode } from './crd-schemas.ts';

/** Evaluates every rule of `node` and below it on `self` (a value as CEL sees it), adding what fails to `problems`. */
export function checkRules(
  node: SchemaNode,
  self: unknown,
  path: string,
  oldSelf: unknown,
  problems: string[],
): void {
  if (self === undefined || self === null || !node.hasRules) return;
  const { isCelList, isCelMap } = celLibrary();
  for (const rule of node.rules) {
    if (rule.transition && oldSelf === undefined) continue;
    const result = rule.program(rule.transition ? { self, oldSelf } : { self });
    if (result === true) continue;
    problems.push(fieldProblem(rule, node, path, self, result));
  }
  if (isCelList(self)) {
    const items = node.items;
    if (!items?.hasRules) return;
    let i = 0;
    for (const item of self as CelList) checkRules(items, item, `${path}[${i++}]`, undefined, problems);
    return;
  }
  if (!isCelMap(self)) return;
  const old = isCelMap(oldSelf) ? oldSelf : undefined;
  for (const [name, child] of node.checked) {
    const field = self.get(name);
    if (field !== undefined) checkRules(child, field, join(path, name), old?.get(name), problems);
  }
  const extra = node.additionalProperties;
  if (!extra?.hasRules) return;
  for (const [name, field] of self) {
    const key = String(name);
    if (!node.properties?.has(key)) checkRules(extra, field, `${path}[${key}]`, old?.get(key), problems);
  }
}

function fieldProblem(
  rule: CompiledRule,
  node: SchemaNode,
  path: string,
  self: unknown,
  result: CelResult,
): string {
  const field = rule.fieldPath === undefined ? path : joinFieldPath(path, rule.fieldPath);
  const where = field === '' ? '<nil>' : field;
  let message: string;
  if (celLibrary().isCelError(result))
    return `${where}: Invalid value: "${node.type ?? ''}": ${celGoError(result.message)} evaluating rule: ${rule.message}`;
  else if (typeof result !== 'boolean') message = `rule did not evaluate to a bool: ${rule.rule}`;
  else message = messageOf(rule, self);
  switch (rule.reason) {
    case 'FieldValueRequired':
      return `${where}: Required value: ${message}`;
    case 'FieldValueForbidden':
      return `${where}: Forbidden: ${message}`;
    case 'FieldValueDuplicate':
      return `${where}: Duplicate value: ${message}`;
    default:
      return `${where}: Invalid value: ${message}`;
  }
}

/** cel-go's words for what @bufbuild/cel words its own way. */
function celGoError(message: string): string {
  const missing = /^field not found: (.*)$/.exec(message);
  if (missing !== null) return `no such key: ${missing[1]}`;
  if (message.startsWith('Failed to parse duration'))
    return "type conversion error from 'string' to 'google.protobuf.Duration'";
  return message;
}

function messageOf(rule: CompiledRule, self: unknown): string {
  if (rule.messageExpression === undefined) return rule.message;
  const message = rule.messageExpression({ self });
  return typeof message === 'string' && message.trim() !== '' && !message.includes('\n')
    ? message
    : rule.message;
}

/** A rule's fieldPath (`.spec.x`, `['a.b']`) under the field the rule sits on. */
function joinFieldPath(path: string, fieldPath: string): string {
  if (fieldPath.startsWith('.')) return path === '' ? fieldPath.slice(1) : `${path}${fieldPath}`;
  return `${path}${fieldPath}`;
}

/** A field's path under its parent's (`spec` + `rules` → `spec.rules`). */
export function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
