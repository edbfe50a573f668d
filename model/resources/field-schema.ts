// A small structural schema language for the kinds whose CRDs we write ourselves: one description of a kind's
// fields serves both the CRD's openAPIV3Schema (deploy/crds/, generated from it and checked by a test) and the
// strict field check that names an unknown field the way the API server's strict field validation would (files
// mode has no API server; a cluster without strict validation prunes silently).

export type FieldSchema =
  | { readonly type: 'string'; readonly enum?: readonly string[]; readonly format?: 'duration' }
  | { readonly type: 'integer'; readonly minimum?: number; readonly maximum?: number }
  | { readonly type: 'number'; readonly minimum?: number; readonly maximum?: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'quantity' }
  | { readonly type: 'array'; readonly items: FieldSchema; readonly maxItems?: number }
  | { readonly type: 'map'; readonly values: FieldSchema }
  | {
      readonly type: 'object';
      readonly properties: Readonly<Record<string, FieldSchema>>;
      readonly required?: readonly string[];
    }
  /** An object whose fields we do not describe (accepted as is, e.g. label selectors' expressions). */
  | { readonly type: 'free' };

export const str = (values?: readonly string[]): FieldSchema =>
  values === undefined ? { type: 'string' } : { type: 'string', enum: values };
export const duration: FieldSchema = { type: 'string', format: 'duration' };
export const int = (minimum?: number, maximum?: number): FieldSchema => ({
  type: 'integer',
  ...(minimum === undefined ? {} : { minimum }),
  ...(maximum === undefined ? {} : { maximum }),
});
/** A decimal number (a percentage such as 12.5). */
export const num = (minimum?: number, maximum?: number): FieldSchema => ({
  type: 'number',
  ...(minimum === undefined ? {} : { minimum }),
  ...(maximum === undefined ? {} : { maximum }),
});
export const bool: FieldSchema = { type: 'boolean' };
export const quantity: FieldSchema = { type: 'quantity' };
export const list = (items: FieldSchema, maxItems?: number): FieldSchema => ({
  type: 'array',
  items,
  ...(maxItems === undefined ? {} : { maxItems }),
});
export const map = (values: FieldSchema): FieldSchema => ({ type: 'map', values });
export const obj = (properties: Record<string, FieldSchema>, required?: readonly string[]): FieldSchema => ({
  type: 'object',
  properties,
  ...(required === undefined ? {} : { required }),
});
export const free: FieldSchema = { type: 'free' };

/** Paths (`spec.jwt.providers[0].foo`) of fields the schema does not know, and of values of the wrong type. */
export function schemaProblems(value: unknown, schema: FieldSchema, path: string): string[] {
  const problems: string[] = [];
  // The path as segments, joined only for a problem: a policy without problems (nearly all) costs no strings.
  const at: (string | number)[] = [];
  const report = (problem: string) =>
    problems.push(`${path}${at.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}${problem}`);
  const walk = (value: unknown, schema: FieldSchema): void => {
    if (value === undefined || value === null) return;
    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') report(': must be a string');
        else if (schema.enum !== undefined && !schema.enum.includes(value))
          report(`: "${value}" is not one of ${schema.enum.join(', ')}`);
        return;
      case 'integer':
      case 'number': {
        const integer = schema.type === 'integer';
        if (typeof value !== 'number' || !(integer ? Number.isInteger(value) : Number.isFinite(value)))
          report(integer ? ': must be an integer' : ': must be a number');
        else if (schema.minimum !== undefined && value < schema.minimum)
          report(`: must be >= ${schema.minimum}`);
        else if (schema.maximum !== undefined && value > schema.maximum)
          report(`: must be <= ${schema.maximum}`);
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean') report(': must be true or false');
        return;
      case 'quantity':
        if (typeof value !== 'string' && typeof value !== 'number') report(': must be a quantity');
        return;
      case 'array':
        if (!Array.isArray(value)) report(': must be a list');
        else if (schema.maxItems !== undefined && value.length > schema.maxItems)
          report(`: at most ${schema.maxItems} items`);
        else
          for (let i = 0; i < value.length; i++) {
            at.push(i);
            walk(value[i], schema.items);
            at.pop();
          }
        return;
      case 'map':
        if (typeof value !== 'object' || Array.isArray(value)) report(': must be a map');
        else
          for (const key in value) {
            if (!Object.hasOwn(value, key)) continue;
            at.push(key);
            walk((value as Record<string, unknown>)[key], schema.values);
            at.pop();
          }
        return;
      case 'object':
        if (typeof value !== 'object' || Array.isArray(value)) {
          report(': must be an object');
          return;
        }
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          const field = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
          at.push(key);
          if (field === undefined) report(': unknown field');
          else walk((value as Record<string, unknown>)[key], field);
          at.pop();
        }
        for (const key of schema.required ?? []) {
          if ((value as Record<string, unknown>)[key] !== undefined) continue;
          at.push(key);
          report(': required');
          at.pop();
        }
        return;
      case 'free':
        return;
    }
  };
  walk(value, schema);
  return problems;
}

/** The schema as a CRD's openAPIV3Schema (structural, as the API server requires). */
export function openApiSchema(schema: FieldSchema): Record<string, unknown> {
  switch (schema.type) {
    case 'string':
      return { type: 'string', ...(schema.enum === undefined ? {} : { enum: [...schema.enum] }) };
    case 'integer':
      return {
        type: 'integer',
        ...(schema.minimum === undefined ? {} : { minimum: schema.minimum }),
        ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
      };
    case 'number':
      return {
        type: 'number',
        ...(schema.minimum === undefined ? {} : { minimum: schema.minimum }),
        ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'quantity':
      return { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    case 'array':
      return {
        type: 'array',
        items: openApiSchema(schema.items),
        ...(schema.maxItems === undefined ? {} : { maxItems: schema.maxItems }),
      };
    case 'map':
      return { type: 'object', additionalProperties: openApiSchema(schema.values) };
    case 'object':
      return {
        type: 'object',
        properties: Object.fromEntries(
          Object.entries(schema.properties).map(([key, field]) => [key, openApiSchema(field)]),
        ),
        ...(schema.required === undefined || schema.required.length === 0
          ? {}
          : { required: [...schema.required] }),
      };
    case 'free':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
}
