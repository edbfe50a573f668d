// The ext_proc configuration file (JSON or YAML): models, routing rules, backends with their schema and
// credentials, and token costs. Documented in docs/extproc.md. Errors name the field and the fix.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from '../../model/ai-gateway/extproc-config.ts';
import { type BackendAuth, type CredentialOverride, OVERRIDE_HEADERS } from './backend-auth.ts';
import type { BodyMutationConfig, HeaderMutationConfig } from './backend-mutations.ts';
import { isMutableHeader } from './backend-mutations.ts';
import type { VertexLocation } from './gemini-upstream.ts';
import {
  COST_TYPES,
  type CostCalculator,
  type CostType,
  compileCosts,
  type LlmRequestCost,
} from './token-costs.ts';

export type BackendSchema =
  | 'OpenAI'
  | 'AzureOpenAI'
  | 'Anthropic'
  | 'AWSBedrock'
  | 'GCPVertexAI'
  | 'GCPAnthropic'
  | 'AWSAnthropic'
  | 'Cohere';
const SCHEMAS: readonly BackendSchema[] = [
  'OpenAI',
  'AzureOpenAI',
  'Anthropic',
  'AWSBedrock',
  'GCPVertexAI',
  'GCPAnthropic',
  'AWSAnthropic',
  'Cohere',
];

export interface Backend {
  readonly name: string;
  readonly schema: BackendSchema;
  /** Azure OpenAI's api-version; the anthropic_version of GCPAnthropic and AWSAnthropic; Cohere's API version. */
  readonly version: string | undefined;
  /** OpenAI and Anthropic: the path before the operation (`v1` by default), for compatible APIs elsewhere. */
  readonly prefix: string | undefined;
  readonly modelNameOverride: string | undefined;
  /** The upstream authority; set on the request (and signed, for AWS) when present. */
  readonly host: string | undefined;
  readonly auth: BackendAuth | undefined;
  readonly vertex: VertexLocation | undefined;
  readonly headerMutation: HeaderMutationConfig | undefined;
  readonly bodyMutation: BodyMutationConfig | undefined;
}

export interface WeightedBackend {
  readonly name: string;
  readonly weight: number;
  /** Envoy's priority level (0 first); a rule whose backends differ in priority is a fallback rule. */
  readonly priority: number;
  /**
   * A backendRef the route may not use (an AIServiceBackend in another namespace no ReferenceGrant allows): not one
   * of the backends; the requests the rule's weights give it are answered 500 with this text, never routed.
   */
  readonly refused?: string;
}

export interface RoutingRule {
  readonly models: readonly string[];
  readonly backends: readonly WeightedBackend[];
  readonly costs: CostCalculator;
  readonly hasCosts: boolean;
  /**
   * Backends at several priorities: Envoy picks the backend (priority load balancing, retrying the next
   * priority on failure) and the service translates each attempt at the upstream filter.
   */
  readonly fallback: boolean;
}

export interface ModelInfo {
  readonly name: string;
  readonly ownedBy: string;
  readonly created: number;
  /** The route hostnames serving the model (`*.example.com` matches one label); absent: every host. */
  readonly hostnames: readonly string[] | undefined;
}

export interface ExtProcConfig {
  readonly maxRequestBodyBytes: number;
  readonly modelNameHeaderKey: string;
  readonly backendHeaderKey: string;
  readonly metadataNamespace: string;
  readonly models: readonly ModelInfo[];
  readonly rules: readonly RoutingRule[];
  readonly backends: ReadonlyMap<string, Backend>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_VERSIONS: Partial<Record<BackendSchema, string>> = {
  AzureOpenAI: '2024-10-21',
  GCPAnthropic: 'vertex-2023-10-16',
  AWSAnthropic: 'bedrock-2023-05-31',
  Cohere: 'v2',
};

type Raw = Record<string, unknown>;

/** Reads and validates a config file; `*File` fields are read relative to the file's folder. */
export function loadExtProcConfig(path: string): ExtProcConfig {
  return parseExtProcConfig(readFileSync(path, 'utf8'), dirname(resolve(path)));
}

/** Parses config text (YAML, which includes JSON). */
export function parseExtProcConfig(text: string, baseDir = process.cwd()): ExtProcConfig {
  // An empty file is never meant: it is what a reload sees between an in-place writer's truncate and write.
  if (text.trim() === '') throw new ConfigError('config is empty');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config is neither JSON nor YAML: ${(error as Error).message}`);
  }
  const root = object(raw ?? {}, 'config');
  const backends = new Map<string, Backend>();
  list(root.backends ?? [], 'backends').forEach((entry, i) => {
    const backend = parseBackend(object(entry, `backends[${i}]`), `backends[${i}]`, baseDir);
    if (backends.has(backend.name))
      throw new ConfigError(`backends[${i}].name '${backend.name}' is used twice`);
    backends.set(backend.name, backend);
  });
  const defaultCosts = parseCosts(root.llmRequestCosts ?? [], 'llmRequestCosts');
  const defaultCalculator = compileCosts(defaultCosts);
  const rules = list(root.rules ?? [], 'rules').map((entry, i) => {
    const at = `rules[${i}]`;
    const rule = object(entry, at);
    const models = list(rule.models, `${at}.models`).map((m, j) => string(m, `${at}.models[${j}]`));
    const targets = list(rule.backends, `${at}.backends`).map((b, j): WeightedBackend => {
      const field = `${at}.backends[${j}]`;
      const target = typeof b === 'string' ? { name: b } : object(b, field);
      const name = string(target.name, `${field}.name`);
      const refused = optionalString(target.refused, `${field}.refused`);
      if (refused === undefined && !backends.has(name))
        throw new ConfigError(`${field}.name '${name}' is not one of the backends`);
      const weight = target.weight === undefined ? 1 : integer(target.weight, `${field}.weight`);
      const priority = target.priority === undefined ? 0 : integer(target.priority, `${field}.priority`);
      return { name, weight, priority, ...(refused === undefined ? {} : { refused }) };
    });
    if (targets.length === 0) throw new ConfigError(`${at}.backends must name at least one backend`);
    const fallback = new Set(targets.map((target) => target.priority)).size > 1;
    if (fallback && targets.some((target) => target.refused !== undefined))
      throw new ConfigError(`${at}.backends: a fallback rule's backends cannot be refused (leave them out)`);
    if (rule.llmRequestCosts === undefined) {
      return {
        models,
        backends: targets,
        costs: defaultCalculator,
        hasCosts: defaultCosts.length > 0,
        fallback,
      };
    }
    const costs = parseCosts(rule.llmRequestCosts, `${at}.llmRequestCosts`);
    return { models, backends: targets, costs: compileCosts(costs), hasCosts: costs.length > 0, fallback };
  });
  const models =
    root.models === undefined
      ? [...new Set(rules.flatMap((rule) => rule.models))].map((name) => ({
          name,
          ownedBy: 'switchyard',
          created: 0,
          hostnames: undefined,
        }))
      : list(root.models, 'models').map((entry, i): ModelInfo => {
          const model = object(entry, `models[${i}]`);
          return {
            name: string(model.name, `models[${i}].name`),
            ownedBy:
              model.ownedBy === undefined ? 'switchyard' : string(model.ownedBy, `models[${i}].ownedBy`),
            created: model.created === undefined ? 0 : integer(model.created, `models[${i}].created`),
            hostnames:
              model.hostnames === undefined
                ? undefined
                : list(model.hostnames, `models[${i}].hostnames`).map((host, j) =>
                    string(host, `models[${i}].hostnames[${j}]`).toLowerCase(),
                  ),
          };
        });
  return {
    maxRequestBodyBytes:
      root.maxRequestBodyBytes === undefined
        ? DEFAULT_MAX_REQUEST_BODY_BYTES
        : integer(root.maxRequestBodyBytes, 'maxRequestBodyBytes'),
    modelNameHeaderKey: optionalString(root.modelNameHeaderKey, 'modelNameHeaderKey') ?? 'x-ai-eg-model',
    backendHeaderKey: optionalString(root.backendHeaderKey, 'backendHeaderKey') ?? 'x-ai-eg-backend',
    metadataNamespace: optionalString(root.metadataNamespace, 'metadataNamespace') ?? 'io.envoy.ai_gateway',
    models,
    rules,
    backends,
  };
}

function parseBackend(raw: Raw, at: string, baseDir: string): Backend {
  const name = string(raw.name, `${at}.name`);
  const schemaRaw =
    typeof raw.schema === 'string' ? { name: raw.schema } : object(raw.schema, `${at}.schema`);
  const schema = string(schemaRaw.name, `${at}.schema.name`) as BackendSchema;
  if (!SCHEMAS.includes(schema))
    throw new ConfigError(`${at}.schema.name must be one of ${SCHEMAS.join(', ')}, not '${schema}'`);
  const auth =
    raw.auth === undefined ? undefined : parseAuth(object(raw.auth, `${at}.auth`), `${at}.auth`, baseDir);
  let vertex: VertexLocation | undefined;
  if (schema === 'GCPVertexAI' || schema === 'GCPAnthropic') {
    const gcp = object(raw.gcp ?? (object(raw.auth ?? {}, `${at}.auth`).gcp as unknown), `${at}.gcp`);
    vertex = {
      project: string(gcp.projectName, `${at}.gcp.projectName`),
      region: string(gcp.region, `${at}.gcp.region`),
    };
  }
  return {
    name,
    schema,
    version: optionalString(schemaRaw.version, `${at}.schema.version`) ?? DEFAULT_VERSIONS[schema],
    prefix: optionalString(schemaRaw.prefix, `${at}.schema.prefix`),
    modelNameOverride: optionalString(raw.modelNameOverride, `${at}.modelNameOverride`),
    host: optionalString(raw.host, `${at}.host`),
    auth,
    vertex,
    headerMutation:
      raw.headerMutation === undefined
        ? undefined
        : parseHeaderMutation(object(raw.headerMutation, `${at}.headerMutation`), `${at}.headerMutation`),
    bodyMutation:
      raw.bodyMutation === undefined
        ? undefined
        : parseBodyMutation(object(raw.bodyMutation, `${at}.bodyMutation`), `${at}.bodyMutation`),
  };
}

function parseHeaderMutation(raw: Raw, at: string): HeaderMutationConfig {
  const name = (value: unknown, where: string) => {
    const header = string(value, where).toLowerCase();
    if (!isMutableHeader(header))
      throw new ConfigError(`${where} '${header}': pseudo-headers and x-ai-eg-* headers cannot be mutated`);
    return header;
  };
  return {
    set: list(raw.set ?? [], `${at}.set`).map((entry, i) => {
      const header = object(entry, `${at}.set[${i}]`);
      return {
        name: name(header.name, `${at}.set[${i}].name`),
        value:
          typeof header.value === 'string' ? header.value : string(header.value, `${at}.set[${i}].value`),
      };
    }),
    remove: list(raw.remove ?? [], `${at}.remove`).map((entry, i) => name(entry, `${at}.remove[${i}]`)),
  };
}

function parseBodyMutation(raw: Raw, at: string): BodyMutationConfig {
  return {
    set: list(raw.set ?? [], `${at}.set`).map((entry, i) => {
      const field = object(entry, `${at}.set[${i}]`);
      const value = field.value;
      if (typeof value !== 'string')
        throw new ConfigError(`${at}.set[${i}].value must be a string (JSON text)`);
      return { path: string(field.path, `${at}.set[${i}].path`), value };
    }),
    remove: list(raw.remove ?? [], `${at}.remove`).map((entry, i) => string(entry, `${at}.remove[${i}]`)),
  };
}

function parseAuth(raw: Raw, at: string, baseDir: string): BackendAuth {
  const secret = (holder: Raw, field: string, where: string): string => {
    const inline = holder[field];
    if (inline !== undefined) return string(inline, `${where}.${field}`);
    const file = holder[`${field}File`];
    if (file === undefined) throw new ConfigError(`${where} needs ${field} or ${field}File`);
    const path = resolve(baseDir, string(file, `${where}.${field}File`));
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      throw new ConfigError(`${where}.${field}File: cannot read ${path}`);
    }
  };
  if (raw.unavailable !== undefined)
    return { type: 'Unavailable', reason: string(raw.unavailable, `${at}.unavailable`) };
  const overrideRaw = raw.override === undefined ? undefined : object(raw.override, `${at}.override`);
  // With a per-request source and no fallback, the configured credential may be left out.
  const staticOptional = overrideRaw !== undefined && overrideRaw.fallbackToConfigured !== true;
  const optionalSecret = (holder: Raw, field: string, where: string): string | undefined =>
    staticOptional && holder[field] === undefined && holder[`${field}File`] === undefined
      ? undefined
      : secret(holder, field, where);
  const withOverride = (auth: BackendAuth): BackendAuth =>
    overrideRaw === undefined
      ? auth
      : ({ ...auth, override: parseOverride(overrideRaw, auth.type, `${at}.override`) } as BackendAuth);
  const keyAuth = (type: 'APIKey' | 'AzureAPIKey' | 'AnthropicAPIKey', field: string): BackendAuth => {
    const holder = object(raw[field], `${at}.${field}`);
    const key = optionalSecret(holder, 'key', `${at}.${field}`);
    return withOverride(key === undefined ? { type } : { type, key });
  };
  if (raw.apiKey !== undefined) return keyAuth('APIKey', 'apiKey');
  if (raw.azureAPIKey !== undefined) return keyAuth('AzureAPIKey', 'azureAPIKey');
  if (raw.anthropicAPIKey !== undefined) return keyAuth('AnthropicAPIKey', 'anthropicAPIKey');
  if (raw.gcp !== undefined) {
    const gcp = object(raw.gcp, `${at}.gcp`);
    const accessToken = optionalSecret(gcp, 'accessToken', `${at}.gcp`);
    return withOverride(
      accessToken === undefined ? { type: 'GCPAccessToken' } : { type: 'GCPAccessToken', accessToken },
    );
  }
  if (raw.aws !== undefined) {
    const aws = object(raw.aws, `${at}.aws`);
    const region = string(aws.region, `${at}.aws.region`);
    const service = optionalString(aws.service, `${at}.aws.service`) ?? 'bedrock';
    if (aws.credentialsFile !== undefined) {
      const credentials = awsCredentialsFile(
        secret(aws, 'credentials', `${at}.aws`),
        optionalString(aws.profile, `${at}.aws.profile`) ?? 'default',
        `${at}.aws`,
      );
      return withOverride({ type: 'AWSSigV4', region, service, credentials });
    }
    if (staticOptional && aws.accessKeyId === undefined && aws.accessKeyIdFile === undefined)
      return withOverride({ type: 'AWSSigV4', region, service });
    const sessionToken =
      aws.sessionToken === undefined && aws.sessionTokenFile === undefined
        ? undefined
        : secret(aws, 'sessionToken', `${at}.aws`);
    return withOverride({
      type: 'AWSSigV4',
      region,
      service,
      credentials: {
        accessKeyId: secret(aws, 'accessKeyId', `${at}.aws`),
        secretAccessKey: secret(aws, 'secretAccessKey', `${at}.aws`),
        sessionToken,
      },
    });
  }
  throw new ConfigError(`${at} must have one of apiKey, azureAPIKey, anthropicAPIKey, aws, gcp, unavailable`);
}

function parseOverride(raw: Raw, type: BackendAuth['type'], at: string): CredentialOverride {
  const fallbackToConfigured = raw.fallbackToConfigured === true;
  if (raw.metadata !== undefined) {
    const metadata = object(raw.metadata, `${at}.metadata`);
    return {
      metadata: {
        namespace: string(metadata.namespace, `${at}.metadata.namespace`),
        key: string(metadata.key, `${at}.metadata.key`),
      },
      fallbackToConfigured,
    };
  }
  const header =
    optionalString(raw.header, `${at}.header`) ??
    (type === 'Unavailable' ? undefined : OVERRIDE_HEADERS[type]);
  if (header === undefined) throw new ConfigError(`${at} needs header or metadata`);
  return { header: header.toLowerCase(), fallbackToConfigured };
}

/** The AWS shared credentials file format (INI, one section per profile). */
function awsCredentialsFile(text: string, profile: string, at: string) {
  const values: Record<string, string> = {};
  let section = '';
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header !== null) section = header[1]!.trim();
    else if (section === profile) {
      const pair = /^\s*([\w]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (pair !== null) values[pair[1]!] = pair[2]!;
    }
  }
  const accessKeyId = values.aws_access_key_id;
  const secretAccessKey = values.aws_secret_access_key;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new ConfigError(
      `${at}.credentialsFile has no aws_access_key_id/aws_secret_access_key in profile [${profile}]`,
    );
  }
  return { accessKeyId, secretAccessKey, sessionToken: values.aws_session_token };
}

function parseCosts(raw: unknown, at: string): LlmRequestCost[] {
  return list(raw, at).map((entry, i) => {
    const cost = object(entry, `${at}[${i}]`);
    const type = string(cost.type, `${at}[${i}].type`) as CostType;
    if (!COST_TYPES.includes(type))
      throw new ConfigError(`${at}[${i}].type must be one of ${COST_TYPES.join(', ')}`);
    const cel = type === 'CEL' ? string(cost.cel, `${at}[${i}].cel`) : undefined;
    return { metadataKey: string(cost.metadataKey, `${at}[${i}].metadataKey`), type, cel };
  });
}

function object(value: unknown, at: string): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${at} must be an object`);
  return value as Raw;
}

function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`${at} must be a list`);
  return value;
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${at} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, at: string): string | undefined {
  return value === undefined ? undefined : string(value, at);
}

function integer(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new ConfigError(`${at} must be a non-negative integer`);
  return value;
}
