// A backend MCP server for tests, built with the official SDK (its `Server` and Streamable HTTP transport, one
// transport per session as the SDK's examples do): tools that echo, report the credentials they received, send
// progress and log notifications, ask the client (elicitation) mid-call; a prompt and a resource; answers in
// SSE or, with `json: true`, in JSON. It records every HTTP request it sees, answers 404 to a session it does
// not know (as the spec says), and can be stopped and started again on the same port (a restart: its sessions
// are forgotten).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  isInitializeRequest,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { closerFor } from '../echo/close-server.ts';

export interface SeenMcpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The JSON-RPC method of a POST, when it had one. */
  readonly rpcMethod: string | undefined;
  /** The status of the answer, once its head was written (a GET's stream is then open). */
  status: number | undefined;
  /** The client's port: requests on one kept-alive connection share it. */
  readonly remotePort: number | undefined;
}

export interface McpTestServerOptions {
  /** Its name: tool results start with it, so a test sees which server answered. */
  readonly name: string;
  /** Plain echo tools besides the built-in ones. */
  readonly tools?: readonly string[];
  /** Answer requests with one JSON body instead of an SSE stream. */
  readonly json?: boolean;
  /** Default: a free loopback port (kept across restarts). */
  readonly port?: number;
  /** MCP endpoint path (default /mcp). */
  readonly path?: string;
}

export interface McpTestServer {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** Every HTTP request so far. */
  readonly seen: SeenMcpRequest[];
  /** Resolves with the first request (seen already or still to come) that `match` accepts. */
  request(match: (request: SeenMcpRequest) => boolean): Promise<SeenMcpRequest>;
  /** Sessions the server holds now. */
  sessions(): number;
  /** Sessions a client ended with DELETE. */
  readonly deleted: string[];
  /** Tells every session's client its tool list changed (on the standalone stream). */
  toolsChanged(): Promise<void>;
  stop(): Promise<void>;
  /** Starts again on the same port with no sessions (a restarted server). */
  start(): Promise<void>;
}

/** The built-in tools every test server has. */
export const BUILT_IN_TOOLS = ['echo', 'whoami', 'progress', 'ask', 'log'] as const;

export async function startMcpTestServer(options: McpTestServerOptions): Promise<McpTestServer> {
  const path = options.path ?? '/mcp';
  const seen: SeenMcpRequest[] = [];
  const waiters = new Set<(request: SeenMcpRequest) => void>();
  const deleted: string[] = [];
  let transports = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();
  const toolNames = [...BUILT_IN_TOOLS, ...(options.tools ?? [])];

  const newSession = (): { transport: StreamableHTTPServerTransport; server: Server } => {
    const server = new Server(
      { name: options.name, version: '1.0.0' },
      {
        capabilities: { tools: { listChanged: true }, prompts: {}, resources: {}, logging: {} },
        instructions: `${options.name} serves test tools`,
      },
    );
    let lastHeaders: IncomingHttpHeaders = {};
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: toolNames.map((name) => ({
        name,
        description: `${options.name} ${name}`,
        inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
      })),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      lastHeaders = extra.requestInfo?.headers as IncomingHttpHeaders;
      const args = (request.params.arguments ?? {}) as Record<string, unknown>;
      const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
      switch (request.params.name) {
        case 'whoami':
          return text(
            JSON.stringify({
              server: options.name,
              authorization: lastHeaders.authorization ?? null,
              apiKey: lastHeaders['x-api-key'] ?? null,
              url: seen.at(-1)?.url ?? null,
            }),
          );
        case 'progress': {
          const token = request.params._meta?.progressToken;
          for (let step = 1; step <= 3; step++)
            if (token !== undefined)
              await extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: step, total: 3, message: `step ${step}` },
              });
          return text(`${options.name}:progress:done`);
        }
        case 'ask': {
          const answer = await extra.sendRequest(
            {
              method: 'elicitation/create',
              params: {
                mode: 'form',
                message: `${options.name} asks: ${String(args.text ?? '')}`,
                requestedSchema: { type: 'object', properties: { answer: { type: 'string' } } },
              },
            },
            ElicitResultSchema,
          );
          return text(`${options.name}:ask:${answer.action}:${String(answer.content?.answer ?? '')}`);
        }
        case 'log':
          await extra.sendNotification({
            method: 'notifications/message',
            params: {
              level: 'info',
              logger: 'tools',
              data: `${options.name} logs ${String(args.text ?? '')}`,
            },
          });
          return text(`${options.name}:log:done`);
        default:
          if (!toolNames.includes(request.params.name))
            return {
              content: [{ type: 'text' as const, text: `no tool ${request.params.name}` }],
              isError: true,
            };
          return text(`${options.name}:${request.params.name}:${String(args.text ?? '')}`);
      }
    });
    server.setRequestHandler(ListPromptsRequestSchema, () => ({
      prompts: [{ name: 'greeting', description: `${options.name} greets` }],
    }));
    server.setRequestHandler(GetPromptRequestSchema, (request) => ({
      messages: [
        {
          role: 'user' as const,
          content: { type: 'text' as const, text: `${options.name} says hello (${request.params.name})` },
        },
      ],
    }));
    server.setRequestHandler(ListResourcesRequestSchema, () => ({
      resources: [{ uri: `test://${options.name}/readme`, name: 'readme' }],
    }));
    server.setRequestHandler(ReadResourceRequestSchema, (request) => ({
      contents: [{ uri: request.params.uri, text: `${options.name} readme` }],
    }));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.json ?? false,
      onsessioninitialized: (id) => {
        transports.set(id, entry);
      },
      onsessionclosed: (id) => {
        deleted.push(id);
        transports.delete(id);
      },
    });
    const entry = { transport, server };
    return entry;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    const entry: SeenMcpRequest = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      rpcMethod: (body as { method?: string } | undefined)?.method,
      status: undefined,
      remotePort: request.socket.remotePort,
    };
    seen.push(entry);
    for (const waiter of waiters) waiter(entry);
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
    response.writeHead = ((status: number, ...rest: unknown[]) => {
      const written = writeHead(status, ...rest);
      entry.status = status;
      for (const waiter of waiters) waiter(entry);
      return written;
    }) as ServerResponse['writeHead'];
    if ((request.url ?? '').split('?')[0] !== path) {
      response.writeHead(404).end();
      return;
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const entry = transports.get(sessionId);
      if (entry === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: { code: -32001, message: 'Session not found' },
          }),
        );
        return;
      }
      await entry.transport.handleRequest(request, response, body);
      return;
    }
    if (request.method === 'POST' && isInitializeRequest(body)) {
      const entry = newSession();
      await entry.server.connect(entry.transport);
      await entry.transport.handleRequest(request, response, body);
      return;
    }
    response
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no session id' } }));
  };

  let server = createServer();
  let close = closerFor(server);
  let port = options.port ?? 0;
  const start = async (): Promise<void> => {
    server = createServer((request, response) => {
      handle(request, response).catch((error: Error) => {
        if (!response.headersSent) response.writeHead(500).end(error.message);
      });
    });
    close = closerFor(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  };
  await start();

  return {
    name: options.name,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}${path}`;
    },
    seen,
    request: (match) =>
      new Promise((resolve) => {
        const found = seen.find(match);
        if (found !== undefined) return resolve(found);
        const waiter = (request: SeenMcpRequest) => {
          if (!match(request)) return;
          waiters.delete(waiter);
          resolve(request);
        };
        waiters.add(waiter);
      }),
    deleted,
    sessions: () => transports.size,
    async toolsChanged() {
      await Promise.all([...transports.values()].map(({ server: s }) => s.sendToolListChanged()));
    },
    async stop() {
      const open = [...transports.values()];
      transports = new Map();
      await close();
      await Promise.all(open.map(({ transport }) => transport.close().catch(() => undefined)));
    },
    start,
  };
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
    request.on('error', reject);
  });
}
