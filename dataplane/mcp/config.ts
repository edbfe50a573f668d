// The MCP proxy's configuration document (JSON or YAML), written by the control plane from MCPRoutes or by
// hand: routes, each with its backend MCP servers (address, tool selection, credentials) and optional client
// authentication. Documented in docs/mcp.md. Errors name the field and the fix.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MCP_ROUTE_HEADER, type ProtectedResourceFields } from '../../model/mcp/proxy-config.ts';
import { type ToolSelector, toolSelector } from './tool-selector.ts';

export interface BackendCredential {
  /** The secret value: an API key or bearer token. */
  readonly key: string;
  /** The header it goes in (default `Authorization`, as `Bearer <key>`); absent when `queryParam` is set. */
  readonly header: string | undefined;
  /** The query parameter it goes in instead of a header. */
  readonly queryParam: string | undefined;
}

export interface McpBackend {
  /** Unique in its route: the prefix of its tools and prompts (`<name>__tool`) and resources (`<name>+uri`). */
  readonly name: string;
  /** The server's MCP endpoint; its host is the `Host` the server sees. */
  readonly url: URL;
  /**
   * `host:port` pairs to connect to instead of the URL's host (a Service's ready endpoints); undefined: connect to
   * the URL's host; empty: no endpoint is ready (the backend is reported down).
   */
  readonly endpoints: readonly string[] | undefined;
  readonly tools: ToolSelector;
  readonly credential: BackendCredential | undefined;
}

/** Where the keys come from: a URL, a key set given inline, or (neither) the issuer's metadata (RFC 8414). */
export interface JwksSource {
  /** Fetched (and cached) from this URL. */
  readonly uri?: string;
  /** A JSON Web Key Set given inline. */
  readonly keys?: { readonly keys: readonly Record<string, unknown>[] };
}

export interface ClientAuthentication {
  readonly issuer: string;
  /** Accepted `aud` values; empty accepts any audience. */
  readonly audiences: readonly string[];
  readonly jwks: JwksSource;
  /** RFC 9728 protected resource metadata served at `/.well-known/oauth-protected-resource<path>`. */
  readonly resourceMetadata: ProtectedResourceMetadata;
}

export type ProtectedResourceMetadata = ProtectedResourceFields;

export interface McpRoute {
  /** The MCPRoute, `namespace/name`: Envoy names it in the route header. */
  readonly name: string;
  /** The MCP endpoint path clients use (a route is also found by its path when the header is absent). */
  readonly path: string;
  readonly backends: ReadonlyMap<string, McpBackend>;
  readonly authentication: ClientAuthentication | undefined;
}

export interface McpProxyConfig {
  /** The request header naming the route (Envoy sets it, overwriting any the client sent). */
  readonly routeHeader: string;
  /** A session nobody used for this long is closed (its backend sessions too); later requests get 404. */
  readonly sessionIdleTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  /** How long a relayed server-to-client request (sampling, elicitation, roots) may wait for the client. */
  readonly clientRequestTimeoutMs: number;
  /** How long one backend request may take (initialize, a list, a tool call). */
  readonly backendTimeoutMs: number;
  readonly routes: ReadonlyMap<string, McpRoute>;
}

export class McpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpConfigError';
  }
}

export const DEFAULT_ROUTE_HEADER = MCP_ROUTE_HEADER;
export const DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS = 1800;
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_CLIENT_REQUEST_TIMEOUT_SECONDS = 300;
const DEFAULT_BACKEND_TIMEOUT_SECONDS = 300;
/** Backend names become name prefixes: no `__` or `+` inside, so a prefixed name splits one way only. */
const BACKEND_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i;

/** Settings of the process (flags) a document may leave out; the document's own values win. */
export interface McpProxyDefaults {
  readonly sessionIdleTimeoutSeconds?: number;
}

export function loadMcpProxyConfig(path: string, defaults: McpProxyDefaults = {}): McpProxyConfig {
  return parseMcpProxyConfig(readFileSync(path, 'utf8'), dirname(resolve(path)), defaults);
}

/** Parses config text (YAML, which includes JSON); `*File` fields are read relative to `baseDir`. */
export function parseMcpProxyConfig(
  text: string,
  baseDir = process.cwd(),
  defaults: McpProxyDefaults = {},
): McpProxyConfig {
  if (text.trim() === '') throw new McpConfigError('config is empty');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new McpConfigError(`config is neither JSON nor YAML: ${(error as Error).message}`);
  }
  const root = new Fields(raw ?? {}, 'config', baseDir);
  const routes = new Map<string, McpRoute>();
  root.list('routes').forEach((entry, i) => {
    const route = parseRoute(entry.as(`routes[${i}]`));
    if (routes.has(route.name)) throw new McpConfigError(`routes[${i}].name '${route.name}' is used twice`);
    routes.set(route.name, route);
  });
  return {
    routeHeader: (root.optionalString('routeHeader') ?? DEFAULT_ROUTE_HEADER).toLowerCase(),
    sessionIdleTimeoutMs:
      root.positiveNumber(
        'sessionIdleTimeoutSeconds',
        defaults.sessionIdleTimeoutSeconds ?? DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS,
      ) * 1000,
    maxRequestBodyBytes: root.positiveNumber('maxRequestBodyBytes', DEFAULT_MAX_REQUEST_BODY_BYTES),
    clientRequestTimeoutMs:
      root.positiveNumber('clientRequestTimeoutSeconds', DEFAULT_CLIENT_REQUEST_TIMEOUT_SECONDS) * 1000,
    backendTimeoutMs: root.positiveNumber('backendTimeoutSeconds', DEFAULT_BACKEND_TIMEOUT_SECONDS) * 1000,
    routes,
  };
}

function parseRoute(route: Fields): McpRoute {
  const name = route.string('name');
  const path = route.optionalString('path') ?? '/mcp';
  if (!path.startsWith('/')) throw new McpConfigError(`${route.at}.path '${path}' must start with '/'`);
  const backends = new Map<string, McpBackend>();
  const entries = route.list('backends');
  if (entries.length === 0) throw new McpConfigError(`${route.at}.backends must name at least one backend`);
  entries.forEach((entry, i) => {
    const backend = parseBackend(entry.as(`${route.at}.backends[${i}]`));
    if (backends.has(backend.name))
      throw new McpConfigError(`${route.at}.backends[${i}].name '${backend.name}' is used twice`);
    backends.set(backend.name, backend);
  });
  const auth = route.optionalObject('authentication');
  return {
    name,
    path,
    backends,
    authentication: auth === undefined ? undefined : parseAuthentication(auth),
  };
}

function parseBackend(backend: Fields): McpBackend {
  const name = backend.string('name');
  if (!BACKEND_NAME.test(name) || name.includes('__'))
    throw new McpConfigError(
      `${backend.at}.name '${name}' must be letters, digits, '-' and '.' (it prefixes tool names as '${name}__<tool>')`,
    );
  const urlText = backend.string('url');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new McpConfigError(`${backend.at}.url '${urlText}' is not a URL (e.g. http://server:8080/mcp)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new McpConfigError(`${backend.at}.url '${urlText}' must be http or https`);
  const endpoints = backend.optionalList('endpoints')?.map((entry, i) => {
    const endpoint = entry.asString(`${backend.at}.endpoints[${i}]`);
    if (!/^(\[[0-9a-f:.]+\]|[^:[\]]+):\d{1,5}$/i.test(endpoint))
      throw new McpConfigError(`${backend.at}.endpoints[${i}] '${endpoint}' must be host:port`);
    return endpoint;
  });
  const selector = backend.optionalObject('toolSelector');
  let tools: ToolSelector;
  try {
    tools = toolSelector(
      selector === undefined
        ? {}
        : {
            include: selector.strings('include'),
            includeRegex: selector.strings('includeRegex'),
            exclude: selector.strings('exclude'),
            excludeRegex: selector.strings('excludeRegex'),
          },
    );
  } catch (error) {
    throw new McpConfigError(`${backend.at}.toolSelector: ${(error as Error).message}`);
  }
  const apiKey = backend.optionalObject('apiKey');
  return { name, url, endpoints, tools, credential: apiKey === undefined ? undefined : parseApiKey(apiKey) };
}

function parseApiKey(apiKey: Fields): BackendCredential {
  const key = apiKey.secret('key');
  const header = apiKey.optionalString('header');
  const queryParam = apiKey.optionalString('queryParam');
  if (header !== undefined && queryParam !== undefined)
    throw new McpConfigError(`${apiKey.at}: set header or queryParam, not both`);
  return { key, header: queryParam === undefined ? (header ?? 'Authorization') : undefined, queryParam };
}

function parseAuthentication(auth: Fields): ClientAuthentication {
  const jwt = auth.object('jwt');
  const jwks = jwt.optionalObject('jwks');
  const uri = jwks?.optionalString('uri');
  const inline = jwks?.optionalSecret('json');
  if (jwks !== undefined && (uri === undefined) === (inline === undefined))
    throw new McpConfigError(
      `${jwks.at}: set exactly one of uri, json or jsonFile (or no jwks: the issuer's metadata names them)`,
    );
  let keys: JwksSource['keys'];
  if (inline !== undefined) {
    try {
      keys = JSON.parse(inline) as { keys: Record<string, unknown>[] };
    } catch (error) {
      throw new McpConfigError(`${jwks?.at}.json is not JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(keys?.keys))
      throw new McpConfigError(`${jwks?.at}.json must be a JWKS ({"keys": [...]})`);
  }
  const metadata = auth.object('resourceMetadata');
  return {
    issuer: jwt.string('issuer'),
    audiences: jwt.strings('audiences'),
    jwks: uri !== undefined ? { uri } : keys !== undefined ? { keys } : {},
    resourceMetadata: {
      resource: metadata.string('resource'),
      resourceName: metadata.optionalString('resourceName'),
      scopesSupported: metadata.optionalStrings('scopesSupported'),
      resourceSigningAlgValuesSupported: metadata.optionalStrings('resourceSigningAlgValuesSupported'),
      resourceDocumentation: metadata.optionalString('resourceDocumentation'),
      resourcePolicyUri: metadata.optionalString('resourcePolicyUri'),
    },
  };
}

/** Reads the fields of one object of the document, naming `at.field` in every error. */
class Fields {
  readonly at: string;
  readonly #raw: Record<string, unknown>;
  readonly #baseDir: string;

  constructor(value: unknown, at: string, baseDir: string) {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new McpConfigError(`${at} must be an object`);
    this.at = at;
    this.#raw = value as Record<string, unknown>;
    this.#baseDir = baseDir;
  }

  string(field: string): string {
    const value = this.optionalString(field);
    if (value === undefined) throw new McpConfigError(`${this.at}.${field} is required`);
    return value;
  }

  optionalString(field: string): string | undefined {
    const value = this.#raw[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '')
      throw new McpConfigError(`${this.at}.${field} must be a non-empty string`);
    return value;
  }

  strings(field: string): string[] {
    return this.list(field).map((entry, i) => entry.asString(`${this.at}.${field}[${i}]`));
  }

  optionalStrings(field: string): string[] | undefined {
    return this.#raw[field] === undefined ? undefined : this.strings(field);
  }

  positiveNumber(field: string, fallback: number): number {
    const value = this.#raw[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new McpConfigError(`${this.at}.${field} must be a positive number`);
    return value;
  }

  /** A secret given inline (`field`) or as a file (`fieldFile`, relative to the config's folder). */
  secret(field: string): string {
    const value = this.optionalSecret(field);
    if (value === undefined) throw new McpConfigError(`${this.at}: set ${field} or ${field}File`);
    return value;
  }

  optionalSecret(field: string): string | undefined {
    const inline = this.optionalString(field);
    const file = this.optionalString(`${field}File`);
    if (inline !== undefined && file !== undefined)
      throw new McpConfigError(`${this.at}: set ${field} or ${field}File, not both`);
    if (file === undefined) return inline;
    try {
      return readFileSync(resolve(this.#baseDir, file), 'utf8').trim();
    } catch (error) {
      throw new McpConfigError(`${this.at}.${field}File: cannot read ${file}: ${(error as Error).message}`);
    }
  }

  object(field: string): Fields {
    const value = this.optionalObject(field);
    if (value === undefined) throw new McpConfigError(`${this.at}.${field} is required`);
    return value;
  }

  optionalObject(field: string): Fields | undefined {
    const value = this.#raw[field];
    return value === undefined || value === null
      ? undefined
      : new Fields(value, `${this.at}.${field}`, this.#baseDir);
  }

  list(field: string): Entry[] {
    return this.optionalList(field) ?? [];
  }

  optionalList(field: string): Entry[] | undefined {
    const value = this.#raw[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw new McpConfigError(`${this.at}.${field} must be a list`);
    return value.map((item) => new Entry(item, this.#baseDir));
  }
}

/** One element of a list, read as an object or a string once its position is known. */
class Entry {
  readonly value: unknown;
  readonly baseDir: string;

  constructor(value: unknown, baseDir: string) {
    this.value = value;
    this.baseDir = baseDir;
  }

  as(at: string): Fields {
    return new Fields(this.value, at, this.baseDir);
  }

  asString(at: string): string {
    if (typeof this.value !== 'string' || this.value === '')
      throw new McpConfigError(`${at} must be a non-empty string`);
    return this.value;
  }
}
