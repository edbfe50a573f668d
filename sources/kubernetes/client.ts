// A small Kubernetes API client over node:https: discovery, list, watch (as an async stream of events with an
// idle deadline), get and server-side apply of /status. @kubernetes/client-node loads the kubeconfig (file,
// in-cluster or default) and supplies the TLS and auth options; the requests are ours, so watch restarts,
// 410 Gone and stalls are handled exactly as the sources need.
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { createRequire } from 'node:module';
import type { SecureContext } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';

// Taken from the module object: an `import` of node:http has Node load undici (fetch, WebSocket) for that module's
// lazy exports, ~40 ms of every start (bench/translate.startup, cli/startup-imports.test.ts).
const { request: httpRequest, Agent: HttpAgent } = process.getBuiltinModule('node:http');
// node:https and node:tls are taken when a request needs them: loading TLS is ~15 ms of CPU, and `translate`
// imports this module (through the composition root) without ever making a request.

/**
 * A connection is kept for the next request only while it is fresh: one with no traffic for this long is closed,
 * never reused. A kept connection that a network fault has silently killed (packets dropped, nothing closed) would
 * take a request into it and hold it until its deadline — what made a pool that kept connections for 30 s fail the
 * watch-resilience test (33b947c, reverted in 278b6b0). A connection that answered within the last second was alive
 * then; a fault that began since is one a new connection meets too, and a silent fault that lasts longer closes it
 * before anyone reuses it. Busy periods (a sync, a burst's status writes, each change's read and write) still reuse
 * connections and skip a TLS handshake per request.
 */
export const FRESH_CONNECTION_MS = 1_000;
const FRESH_POOL = { keepAlive: true, timeout: FRESH_CONNECTION_MS, scheduling: 'lifo' } as const;

/** Where a kind is served: `/apis/<group>/<version>/[namespaces/<ns>/]<plural>`. */
export interface ApiResource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
  readonly [field: string]: unknown;
}

export interface ObjectList {
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
}

export type WatchEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; readonly object: KubeObject }
  | {
      readonly type: 'ERROR';
      readonly object: { readonly code?: number; readonly reason?: string; readonly message?: string };
    };

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export interface KubeClientOptions {
  /** A kubeconfig file; absent: in-cluster config, then $KUBECONFIG / ~/.kube/config. */
  readonly kubeconfig?: string;
  /**
   * How long a request other than a watch may take, answer included (default 60 s). Without a deadline a request
   * sent into a silently dead connection would hang forever, and with it the source or patcher awaiting it.
   */
  readonly requestTimeoutMs?: number;
}

export class KubeClient {
  private readonly server: URL;
  private readonly config: KubeConfig;
  private httpOptions: (RequestOptions & { secureContext?: SecureContext }) | undefined;
  private httpOptionsReadAt = 0;
  private readonly requestTimeoutMs: number;
  /**
   * Keeps fresh connections (FRESH_CONNECTION_MS) for the next request, most recently used first; made at the first
   * request. None through a kubeconfig's proxy-url, whose agent @kubernetes/client-node supplies (a connection per
   * request there).
   */
  private agent: Agent | undefined;
  private readonly throughProxy: boolean;

  constructor(options: KubeClientOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    const config = new (loadClientNode().KubeConfig)();
    if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig names no current cluster');
    this.config = config;
    this.server = new URL(cluster.server);
    this.throughProxy = cluster.proxyUrl !== undefined;
  }

  /** The API server's address, for logs. */
  get serverUrl(): string {
    return this.server.toString();
  }

  /** The resources of one API group version, by kind. */
  async discover(group: string, version: string): Promise<ApiResource[]> {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const response = (await this.json('GET', path)) as {
      resources?: { name: string; kind: string; namespaced: boolean }[];
    };
    return (response.resources ?? [])
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({ group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
  }

  /** The versions a group serves, preferred first; empty when the group is not served. */
  async groupVersions(group: string): Promise<string[]> {
    if (group === '') return ['v1'];
    try {
      const response = (await this.json('GET', `/apis/${group}`)) as {
        preferredVersion?: { version: string };
        versions?: { version: string }[];
      };
      const preferred = response.preferredVersion?.version;
      const versions = (response.versions ?? []).map((v) => v.version);
      return preferred === undefined ? versions : [preferred, ...versions.filter((v) => v !== preferred)];
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return [];
      throw error;
    }
  }

  /** Lists the kind across the cluster, or in one `namespace`, optionally filtered by a field selector. */
  async list(
    resource: ApiResource,
    signal?: AbortSignal,
    fieldSelector?: string,
    namespace?: string,
  ): Promise<ObjectList> {
    const query = fieldSelector === undefined ? '' : `?${new URLSearchParams({ fieldSelector })}`;
    const path = `${collectionPath(resource, namespace)}${query}`;
    const response = (await this.json('GET', path, undefined, signal)) as {
      items?: KubeObject[];
      metadata?: { resourceVersion?: string };
    };
    const apiVersion = resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
    // Items of a list carry no apiVersion/kind; give them theirs so they read like single objects.
    const items = (response.items ?? []).map((item) => ({ apiVersion, kind: resource.kind, ...item }));
    return { items, resourceVersion: response.metadata?.resourceVersion ?? '' };
  }

  /**
   * Watches from `resourceVersion`, yielding events until the server ends the watch, the signal aborts it, or
   * nothing (not even a bookmark) arrives for `idleTimeoutMs` — a silently stalled connection.
   */
  async *watch(
    resource: ApiResource,
    resourceVersion: string,
    options: {
      signal?: AbortSignal;
      timeoutSeconds?: number;
      idleTimeoutMs?: number;
      fieldSelector?: string;
      /** Watch one namespace instead of the whole cluster. */
      namespace?: string;
    } = {},
  ): AsyncGenerator<WatchEvent> {
    const query = new URLSearchParams({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion,
      timeoutSeconds: String(options.timeoutSeconds ?? 300),
      ...(options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector }),
    });
    const controller = new AbortController();
    const abortFromCaller = () => controller.abort();
    options.signal?.addEventListener('abort', abortFromCaller);
    if (options.signal?.aborted === true) controller.abort();
    const idleTimeoutMs = options.idleTimeoutMs ?? ((options.timeoutSeconds ?? 300) + 30) * 1000;
    let idle: NodeJS.Timeout | undefined;
    const disarm = () => {
      if (idle !== undefined) clearTimeout(idle);
      idle = undefined;
    };
    const arm = () => {
      disarm();
      idle = setTimeout(() => controller.abort(new Error('watch stalled')), idleTimeoutMs);
    };
    try {
      arm();
      const response = await this.send(
        'GET',
        `${collectionPath(resource, options.namespace)}?${query}`,
        undefined,
        controller.signal,
      );
      if ((response.statusCode ?? 0) >= 300) throw await apiError(response);
      let buffer = '';
      for await (const chunk of response) {
        arm();
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line !== '') {
            // Only time spent waiting on the connection counts as idle: while the consumer holds an event (its
            // mailbox full, say) the watch is not stalled, however long that takes.
            disarm();
            yield JSON.parse(line) as WatchEvent;
            arm();
          }
          newline = buffer.indexOf('\n');
        }
      }
    } catch (error) {
      if (controller.signal.aborted && options.signal?.aborted !== true) {
        throw new WatchStalledError(idleTimeoutMs);
      }
      throw error;
    } finally {
      disarm();
      options.signal?.removeEventListener('abort', abortFromCaller);
    }
  }

  async get(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return (await this.json('GET', objectPath(resource, namespace, name))) as KubeObject;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** JSON merge patch of an object (e.g. its finalizers, with its resourceVersion as a precondition). */
  async mergePatch(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<KubeObject> {
    return (await this.json(
      'PATCH',
      objectPath(resource, namespace, name),
      JSON.stringify(patch),
      undefined,
      'application/merge-patch+json',
    )) as KubeObject;
  }

  /** Server-side apply of the status subresource. */
  async applyStatus(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    fieldManager: string,
    force = true,
  ): Promise<KubeObject> {
    const query = new URLSearchParams({ fieldManager, force: String(force) });
    return (await this.json(
      'PATCH',
      `${objectPath(resource, namespace, name)}/status?${query}`,
      JSON.stringify(body),
      undefined,
      'application/apply-patch+yaml',
    )) as KubeObject;
  }

  /** Any request with a JSON answer; non-2xx statuses throw a KubeApiError with the server's message. */
  async json(
    method: string,
    path: string,
    body?: string,
    signal?: AbortSignal,
    contentType = 'application/json',
  ): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.requestTimeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    let text = '';
    try {
      const response = await this.send(method, path, body, combined, contentType);
      if ((response.statusCode ?? 0) >= 300) throw await apiError(response);
      for await (const chunk of response) text += chunk;
    } catch (error) {
      if (deadline.aborted && signal?.aborted !== true) {
        throw new Error(`no answer to ${method} ${path} within ${this.requestTimeoutMs} ms`);
      }
      throw error;
    }
    return text === '' ? {} : JSON.parse(text);
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    contentType = 'application/json',
  ): Promise<IncomingMessage> {
    const base = await this.requestOptions();
    const url = new URL(path, this.server);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      accept: 'application/json',
    };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const https = url.protocol === 'http:' ? undefined : process.getBuiltinModule('node:https');
    const send = https === undefined ? httpRequest : https.request;
    if (this.agent === undefined && !this.throughProxy)
      this.agent = https === undefined ? new HttpAgent(FRESH_POOL) : new https.Agent(FRESH_POOL);
    const options = {
      ...base,
      ...(this.agent === undefined ? {} : { agent: this.agent }),
      method,
      headers,
      ...(signal === undefined ? {} : { signal }),
    };
    const attempt = (retried: boolean): Promise<IncomingMessage> =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req: ClientRequest = send(url, options, resolve);
        req.on('error', (error: NodeJS.ErrnoException) => {
          // A kept connection the server closed just as it was handed out (its idle timeout, a restart): the
          // request never reached it, so it goes once more, on another connection.
          if (!retried && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
            attempt(true).then(resolve, reject);
          else reject(error);
        });
        if (body !== undefined) req.write(body);
        req.end();
      });
    return attempt(false).then((message) => {
      message.setEncoding('utf8');
      return message;
    });
  }

  /**
   * The TLS and auth options of the kubeconfig, read again once they are older than CREDENTIALS_MAX_AGE_MS: a pod's
   * service-account token is a projected file the kubelet rotates, an exec plugin's token expires, and a client
   * that read them once would be refused by the API server after the old token's expiry.
   */
  private async requestOptions(): Promise<RequestOptions & { secureContext?: SecureContext }> {
    const now = Date.now();
    if (this.httpOptions !== undefined && now - this.httpOptionsReadAt < CREDENTIALS_MAX_AGE_MS) {
      return this.httpOptions;
    }
    const options: RequestOptions & { secureContext?: SecureContext } = {};
    await this.config.applyToHTTPSOptions(options);
    // One TLS context for every connection: given only the CA, certificate and key, each request's connection
    // built its own (parsing them again), 8 % of the controller's CPU in e2e.apply-to-traffic at 1,000 routes.
    // Built again only when the files' contents changed (a connection kept with the old one is reused for at
    // most FRESH_CONNECTION_MS more).
    if (this.server.protocol === 'https:') {
      const previous = this.httpOptions;
      options.secureContext =
        previous?.secureContext !== undefined && sameTlsMaterial(previous, options)
          ? previous.secureContext
          : process.getBuiltinModule('node:tls').createSecureContext({
              ...(options.ca === undefined ? {} : { ca: options.ca }),
              ...(options.cert === undefined ? {} : { cert: options.cert }),
              ...(options.key === undefined ? {} : { key: options.key }),
              ...(options.pfx === undefined ? {} : { pfx: options.pfx }),
              ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
            });
    }
    this.httpOptions = options;
    this.httpOptionsReadAt = now;
    return options;
  }
}

/**
 * How long credentials read from the kubeconfig are used before they are read again — the cadence at which
 * client-go (and @kubernetes/client-node's token-file auth) re-read a service-account token file.
 */
const CREDENTIALS_MAX_AGE_MS = 60_000;

const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;

function sameTlsMaterial(a: RequestOptions, b: RequestOptions): boolean {
  return TLS_FIELDS.every((field) => String(a[field] ?? '') === String(b[field] ?? ''));
}

export class WatchStalledError extends Error {
  constructor(idleTimeoutMs: number) {
    super(`no watch event or bookmark for ${idleTimeoutMs} ms: the connection is considered stalled`);
    this.name = 'WatchStalledError';
  }
}

function collectionPath(resource: ApiResource, namespace?: string): string {
  const base =
    resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return namespace !== undefined && resource.namespaced
    ? `${base}/namespaces/${namespace}/${resource.plural}`
    : `${base}/${resource.plural}`;
}

function objectPath(resource: ApiResource, namespace: string | undefined, name: string): string {
  return `${collectionPath(resource, resource.namespaced ? namespace : undefined)}/${name}`;
}

async function apiError(response: IncomingMessage): Promise<KubeApiError> {
  let text = '';
  for await (const chunk of response) text += chunk;
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(response.statusCode ?? 0, status.reason ?? '', status.message ?? text);
  } catch {
    return new KubeApiError(response.statusCode ?? 0, '', text.slice(0, 500));
  }
}

/**
 * @kubernetes/client-node, loaded on first use: its generated API is ~30 MiB of code and strings, and standalone
 * mode (no cluster) never needs it. Only its KubeConfig is used (kubeconfig files, in-cluster config, exec and
 * token auth); requests go through this client.
 */
function loadClientNode(): typeof import('@kubernetes/client-node') {
  return createRequire(import.meta.url)(
    '@kubernetes/client-node',
  ) as typeof import('@kubernetes/client-node');
}
