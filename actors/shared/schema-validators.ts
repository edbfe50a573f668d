// The schema checks of object-validation.ts, compiled ahead of time. @kubernetes-models/gateway-api's models
// validate with Ajv, which compiles each kind's schema to a function on its first object: on `translate` of ten
// routes that compilation was about a third of the CPU after Node's own start (bench/translate.startup).
// `npm install` (the `prepare` script) runs this file, which writes the same functions out as code (Ajv's
// standalone output, with the options and formats those models use) into the clone's git-ignored .cache/; a run
// loads them from there. Without that file, or written for other package versions, a run compiles the schemas
// as before (`runtimeSchemaCheck`): the same checks, only slower to start.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The schemas checked, by `apiVersion/kind`, with the id the models register them under. */
export const SCHEMA_IDS: Readonly<Record<string, string>> = {
  'gateway.networking.k8s.io/v1/GatewayClass': 'gateway.networking.k8s.io.v1.GatewayClass',
  'gateway.networking.k8s.io/v1/Gateway': 'gateway.networking.k8s.io.v1.Gateway',
  'gateway.networking.k8s.io/v1/HTTPRoute': 'gateway.networking.k8s.io.v1.HTTPRoute',
};

/** Throws an Error whose message lists the problems (`data/spec/x must be …, …`) when the object fails. */
export type SchemaCheck = (object: object) => void;

/**
 * Where `npm install` writes them: the clone's .cache/ (in the image, made by the Dockerfile's first stage, not
 * copied from the build context, which leaves .cache/ out).
 */
export const PRECOMPILED_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.cache',
  'schema-validators',
  'validators.cjs',
);

const require = createRequire(import.meta.url);
const MODEL_MODULE = (typeAndKind: string) =>
  `@kubernetes-models/gateway-api/${typeAndKind.slice(0, typeAndKind.lastIndexOf('/'))}/${typeAndKind.slice(typeAndKind.lastIndexOf('/') + 1)}`;

/**
 * What the compiled code depends on: the packages that hold the schemas, Ajv (its code generation and the runtime
 * helpers the code calls) and the formats. A file written for other versions is not used.
 */
export function precompiledKey(): string {
  return ['ajv', 'ajv-formats', '@kubernetes-models/gateway-api', '@kubernetes-models/apimachinery']
    .map((name) => {
      const manifest = JSON.parse(readFileSync(packageJsonOf(name), 'utf8')) as { version: string };
      return `${name}@${manifest.version}`;
    })
    .join(' ');
}

function packageJsonOf(name: string): string {
  // Some of these packages do not export their package.json: find it from their main file.
  let dir = dirname(require.resolve(name));
  while (!dir.endsWith(`node_modules/${name}`)) dir = dirname(dir);
  return `${dir}/package.json`;
}

/**
 * The precompiled checks, or undefined when the file is missing or was written for other package versions. The
 * file requires Ajv's runtime helpers and ajv-formats: it must sit in the clone (where node_modules is found).
 */
export function loadPrecompiledChecks(file = PRECOMPILED_FILE): Map<string, SchemaCheck> | undefined {
  if (!existsSync(file)) return undefined;
  const compiled = createRequire(file)(file) as {
    key?: string;
    validators?: Record<string, AjvFunction>;
  };
  if (compiled.key !== precompiledKey() || compiled.validators === undefined) return undefined;
  const checks = new Map<string, SchemaCheck>();
  for (const [typeAndKind, id] of Object.entries(SCHEMA_IDS)) {
    const validate = compiled.validators[exportName(id)];
    if (validate === undefined) return undefined;
    checks.set(typeAndKind, (object) => {
      if (!validate(object) && validate.errors) throw new Error(errorsText(validate.errors));
    });
  }
  return checks;
}

/** The checks as the models run them: each schema compiled on its first object. */
export function runtimeSchemaCheck(typeAndKind: string): SchemaCheck {
  const Model = (
    require(MODEL_MODULE(typeAndKind)) as Record<string, new (data: object) => { validate(): void }>
  )[typeAndKind.slice(typeAndKind.lastIndexOf('/') + 1)]!;
  return (object) => new Model(object).validate();
}

interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly message?: string;
  readonly schema?: unknown;
}
type AjvFunction = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/**
 * The message the models' validation throws: Ajv's errors less those of a `oneOf: [{$ref}, {type: null}]` (how
 * the models write a nullable reference) that only say the value is not null, joined as Ajv's errorsText does.
 */
function errorsText(errors: readonly AjvError[]): string {
  const nullBranches = new Set<string>();
  const kept: AjvError[] = [];
  for (const error of errors) {
    const nullAt =
      error.keyword === 'oneOf' && Array.isArray(error.schema)
        ? error.schema.findIndex((branch: { type?: unknown }) => branch?.type === 'null')
        : -1;
    if (nullAt > -1) nullBranches.add(`${error.schemaPath}/${nullAt}/type`);
    else kept.push(error);
  }
  const shown = kept.filter((error) => !nullBranches.has(error.schemaPath));
  if (shown.length === 0) return 'No errors';
  return shown.map((error) => `data${error.instancePath} ${error.message}`).join(', ');
}

function exportName(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '_');
}

/**
 * Writes the checks as code to `file`: the schemas as the models register them (captured by loading the models
 * with a stand-in for @kubernetes-models/validate), compiled by an Ajv set up as that package sets its own up.
 */
export function writePrecompiledChecks(file = PRECOMPILED_FILE): void {
  const schemas = new Map<string, object>();
  const validatePackage = require.resolve('@kubernetes-models/validate');
  // The models' modules loaded afresh (a model loaded earlier holds the real package), then put back as they were.
  const loaded = Object.keys(require.cache).filter((path) => path.includes('/@kubernetes-models/'));
  const saved = new Map(loaded.map((path) => [path, require.cache[path]]));
  for (const path of loaded) delete require.cache[path];
  const standIn = { register: (id: string, schema: object) => schemas.set(id, schema), validate: () => {} };
  require.cache[validatePackage] = { exports: standIn } as NodeJS.Module;
  try {
    for (const typeAndKind of Object.keys(SCHEMA_IDS)) runtimeSchemaCheck(typeAndKind)({});
  } finally {
    for (const path of Object.keys(require.cache))
      if (path.includes('/@kubernetes-models/')) delete require.cache[path];
    for (const [path, module] of saved) require.cache[path] = module;
  }
  const Ajv = (require('ajv') as { default: new (options: object) => AjvInstance }).default;
  const addFormats = (require('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
  const standalone = (require('ajv/dist/standalone') as { default: StandaloneCode }).default;
  const ajv = new Ajv({ strictTypes: false, allErrors: true, verbose: true, code: { source: true } });
  addFormats(ajv);
  for (const [id, schema] of schemas) ajv.addSchema(schema, id);
  const exports = Object.fromEntries(Object.values(SCHEMA_IDS).map((id) => [exportName(id), id]));
  const code = standalone(ajv, exports);
  mkdirSync(dirname(file), { recursive: true });
  const body = `// Generated by actors/shared/schema-validators.ts (npm install); not to be edited or committed.\n${code}\nexports.validators = exports;\nexports.key = ${JSON.stringify(precompiledKey())};\n`;
  writeFileSync(`${file}.tmp`, body);
  renameSync(`${file}.tmp`, file);
}

interface AjvInstance {
  addSchema(schema: object, id: string): void;
}
type StandaloneCode = (ajv: AjvInstance, refsOrFuncs: Record<string, string>) => string;

if (import.meta.main) writePrecompiledChecks();
