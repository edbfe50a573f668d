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
  if (value === undefined || value === null) return [];
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: must be a string`];
      if (schema.enum !== undefined && !schema.enum.includes(value))
        return [`${path}: "${value}" is not one of ${schema.enum.join(', ')}`];
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${path}: must be an integer`];
      if (schema.minimum !== undefined && value < schema.minimum)
        return [`${path}: must be >= ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum)
        return [`${path}: must be <= ${schema.maximum}`];
      return [];
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: must be a number`];
      if (schema.minimum !== undefined && value < schema.minimum)
        return [`${path}: must be >= ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum)
        return [`${path}: must be <= ${schema.maximum}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: must be true or false`];
    case 'quantity':
      return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: must be a quantity`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: must be a list`];
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        return [`${path}: at most ${schema.maxItems} items`];
      return value.flatMap((item, i) => schemaProblems(item, schema.items, `${path}[${i}]`));
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be a map`];
      return Object.entries(value).flatMap(([key, item]) =>
        schemaProblems(item, schema.values, `${path}.${key}`),
      );
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be an object`];
      const problems: string[] = [];
      for (const [key, item] of Object.entries(value)) {
        const field = schema.properties[key];
        if (field === undefined) problems.push(`${path}.${key}: unknown field`);
        else problems.push(...schemaProblems(item, field, `${path}.${key}`));
      }
      for (const key of schema.required ?? []) {
        if ((value as Record<string, unknown>)[key] === undefined) problems.push(`${path}.${key}: required`);
      }
      return problems;
    }
    case 'free':
      return [];
  }
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
