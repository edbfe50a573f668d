// `switchyard mcp` as a process in front of SDK-built MCP servers on loopback, driven by the SDK's client: the
// aggregation, filtering, credentials, relaying, session and failure behaviour a client sees.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type McpProxyProcess, spawnMcpProxy } from '../harness/mcp/mcp-proxy-process.ts';
import { type McpTestServer, startMcpTestServer } from '../harness/mcp/mcp-test-server.ts';

let alpha: McpTestServer;
let beta: McpTestServer;
let gamma: McpTestServer;
let proxy: McpProxyProcess;
let endpoint: URL;
let metricsUrl: string;
let inspectorUrl: string;

function config(): string {
  return `
routes:
  - name: default/tools
    path: /mcp
    backends:
      - name: alpha
        url: ${alpha.url}
        apiKey: { key: alpha-secret }
        toolSelector: { exclude: [secret_tool], excludeRegex: ["^internal_"] }
      - name: beta
        url: http://beta.example:9/mcp
        endpoints: ["127.0.0.1:${beta.port}"]
        apiKey: { key: beta-key, header: x-api-key }
        toolSelector: { includeRegex: ["^(echo|whoami|ask|progress|log)$"], include: [] }
      - name: gamma
        url: ${gamma.url}
        toolSelector: { include: [echo, whoami] }
`;
}

/** Connects a client; `standalone` resolves once the proxy answered its GET (its standalone stream is open). */
async function connect(options: { elicit?: string } = {}): Promise<Client> {
  return (await connectWithStream(options)).client;
}

async function connectWithStream(
  options: { elicit?: string } = {},
): Promise<{ client: Client; standalone: Promise<void> }> {
  const client = new Client(
    { name: 'test-client', version: '1.0.0' },
    { capabilities: options.elicit === undefined ? {} : { elicitation: { form: {} } } },
  );
  if (options.elicit !== undefined) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, (request) => ({
      action: 'accept',
      content: { answer: `${answer} to "${request.params.message}"` },
    }));
  }
  let opened!: () => void;
  const standalone = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const watchingFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    if (init?.method === 'GET' && response.status === 200) opened();
    return response;
  };
  await client.connect(new StreamableHTTPClientTransport(endpoint, { fetch: watchingFetch }));
  return { client, standalone };
}

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

beforeAll(async () => {
  alpha = await startMcpTestServer({ name: 'alpha', tools: ['secret_tool', 'internal_debug', 'search'] });
  beta = await startMcpTestServer({ name: 'beta', json: true, tools: ['drop_table'] });
  gamma = await startMcpTestServer({ name: 'gamma' });
  proxy = spawnMcpProxy({ config: config(), inspector: true });
  const listening = await proxy.listening();
  endpoint = new URL(`http://${listening.address}/mcp`);
  metricsUrl = `http://${listening.http}/metrics`;
  inspectorUrl = listening.inspector!;
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([alpha?.stop(), beta?.stop(), gamma?.stop()]);
});

describe('switchyard mcp in front of three MCP servers', () => {
  test('lists the tools of every server under its prefix, filtered by each backend selector', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name).sort();
    expect(names).toEqual(
      [
        'alpha__ask',
        'alpha__echo',
        'alpha__log',
        'alpha__progress',
        'alpha__search',
        'alpha__whoami',
        'beta__ask',
        'beta__echo',
        'beta__log',
        'beta__progress',
        'beta__whoami',
        'gamma__echo',
        'gamma__whoami',
      ].sort(),
    );
    expect(tools.find((tool) => tool.name === 'alpha__search')?.description).toBe('alpha search');
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(client.getInstructions()).toContain('alpha serves test tools');
    await client.close();
  });

  test('calls go to the owning server, over SSE (alpha) and JSON (beta) answers alike', async () => {
    const client = await connect();
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } }))).toBe(
      'alpha:echo:hi',
    );
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: 'yo' } }))).toBe(
      'beta:echo:yo',
    );
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: 'hey' } }))).toBe(
      'gamma:echo:hey',
    );
    await client.close();
  });

  test('calls to a server answering in SSE reuse one kept-alive connection', async () => {
    const client = await connect();
    const before = alpha.seen.length;
    for (let i = 0; i < 5; i++)
      await client.callTool({ name: 'alpha__echo', arguments: { text: String(i) } });
    const calls = alpha.seen.slice(before).filter((r) => r.rpcMethod === 'tools/call');
    expect(calls).toHaveLength(5);
    // Reading each answer's stream to its end leaves the connection reusable (it was closed after each answer).
    expect(new Set(calls.map((r) => r.remotePort)).size).toBe(1);
    await client.close();
  });

  test('a filtered tool is refused exactly like a missing one, and never reaches its server', async () => {
    const client = await connect();
    const before = alpha.seen.filter((r) => r.rpcMethod === 'tools/call').length;
    for (const name of [
      'alpha__secret_tool',
      'alpha__internal_debug',
      'beta__drop_table',
      'gamma__ask',
      'nobody__echo',
      'echo',
    ])
      await expect(client.callTool({ name, arguments: {} })).rejects.toThrow(`Unknown tool: ${name}`);
    expect(alpha.seen.filter((r) => r.rpcMethod === 'tools/call').length).toBe(before);
    await client.close();
  });

  test('each backend receives its own credentials and no other', async () => {
    const client = await connect();
    const alphaSeen = JSON.parse(textOf(await client.callTool({ name: 'alpha__whoami', arguments: {} })));
    const betaSeen = JSON.parse(textOf(await client.callTool({ name: 'beta__whoami', arguments: {} })));
    const gammaSeen = JSON.parse(textOf(await client.callTool({ name: 'gamma__whoami', arguments: {} })));
    expect(alphaSeen).toMatchObject({ server: 'alpha', authorization: 'Bearer alpha-secret', apiKey: null });
    expect(betaSeen).toMatchObject({ server: 'beta', authorization: null, apiKey: 'beta-key' });
    expect(gammaSeen).toMatchObject({ server: 'gamma', authorization: null, apiKey: null });
    // The endpoint override keeps the URL's host.
    expect(beta.seen.at(-1)?.headers.host).toBe('beta.example:9');
    for (const request of alpha.seen) expect(request.headers['x-api-key']).toBeUndefined();
    for (const request of [...beta.seen, ...gamma.seen])
      expect(request.headers.authorization).toBeUndefined();
    await client.close();
  });

  test('progress and log notifications of a call reach the client, on that call', async () => {
    const client = await connect();
    const progress: number[] = [];
    // Over SSE: a server answering in JSON (beta) cannot send anything related to a request but its answer.
    const result = await client.callTool({ name: 'alpha__progress', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(textOf(result)).toBe('alpha:progress:done');
    expect(progress).toEqual([1, 2, 3]);
    const logs: unknown[] = [];
    client.fallbackNotificationHandler = async (notification) => {
      logs.push(notification);
    };
    await client.callTool({ name: 'alpha__log', arguments: { text: 'x' } });
    expect(logs).toContainEqual({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', logger: 'alpha/tools', data: 'alpha logs x' },
    });
    await client.close();
  });

  test("a server's request to the client (elicitation) is relayed and answered", async () => {
    const client = await connect({ elicit: 'forty-two' });
    const result = await client.callTool({ name: 'gamma__echo', arguments: {} });
    expect(textOf(result)).toBe('gamma:echo:');
    const asked = await client.callTool({ name: 'alpha__ask', arguments: { text: 'the answer?' } });
    expect(textOf(asked)).toBe('alpha:ask:accept:forty-two to "alpha asks: the answer?"');
    await client.close();
  });

  test("a server's tools/list_changed reaches the client on its standalone stream", async () => {
    const getsBefore = gamma.seen.filter((r) => r.method === 'GET').length;
    const { client, standalone } = await connectWithStream();
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    // A notification without a stream is lost (the spec's at-most-once): both standalone streams must be open,
    // the client's to the proxy and the proxy's to gamma.
    await standalone;
    await gamma.request(
      (r) =>
        r.method === 'GET' &&
        r.status === 200 &&
        gamma.seen.filter((s) => s.method === 'GET').indexOf(r) >= getsBefore,
    );
    await gamma.toolsChanged();
    await changed;
    await client.close();
  });

  test('prompts and resources merge with prefixes and are read back through them', async () => {
    const client = await connect();
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual([
      'alpha__greeting',
      'beta__greeting',
      'gamma__greeting',
    ]);
    const prompt = await client.getPrompt({ name: 'beta__greeting' });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'beta says hello (greeting)' });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'alpha+test://alpha/readme',
      'beta+test://beta/readme',
      'gamma+test://gamma/readme',
    ]);
    const read = await client.readResource({ uri: 'gamma+test://gamma/readme' });
    expect(read.contents).toEqual([{ uri: 'gamma+test://gamma/readme', text: 'gamma readme' }]);
    await client.close();
  });

  test('one client session holds one session per backend, and DELETE ends them all', async () => {
    const before = { alpha: alpha.deleted.length, beta: beta.deleted.length, gamma: gamma.deleted.length };
    const transport = new StreamableHTTPClientTransport(endpoint);
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(transport);
    await client.listTools();
    await client.listTools();
    const sessionId = transport.sessionId!;
    const initializes = (server: McpTestServer) =>
      server.seen.filter((r) => r.rpcMethod === 'initialize').length;
    const counts = [initializes(alpha), initializes(beta), initializes(gamma)];
    await client.callTool({ name: 'alpha__echo', arguments: {} });
    expect([initializes(alpha), initializes(beta), initializes(gamma)]).toEqual(counts);
    await transport.terminateSession();
    expect(alpha.deleted.length).toBe(before.alpha + 1);
    expect(beta.deleted.length).toBe(before.beta + 1);
    expect(gamma.deleted.length).toBe(before.gamma + 1);
    const stale = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
  });

  test('tool calls are counted and timed per tool in the metrics', async () => {
    const client = await connect();
    await client.callTool({ name: 'gamma__echo', arguments: {} });
    await expect(client.callTool({ name: 'gamma__ask', arguments: {} })).rejects.toThrow();
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(
      /switchyard_mcp_tool_calls_total\{route="default\/tools",backend="gamma",tool="echo",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /switchyard_mcp_tool_calls_total\{route="default\/tools",backend="",tool="",outcome="refused"\} [1-9]/,
    );
    expect(text).toMatch(
      /switchyard_mcp_tool_call_duration_seconds_count\{route="default\/tools",backend="gamma",tool="echo"\} [1-9]/,
    );
    expect(text).toMatch(/switchyard_mcp_sessions_open [1-9]/);
    await client.close();
  });

  test("tool calls show in the inspector's message flow with their outcome", async () => {
    const client = await connect();
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'traced' } });
    await expect(client.callTool({ name: 'alpha__secret_tool', arguments: {} })).rejects.toThrow();
    const flow = (await (await fetch(new URL('/api/flow?resource=alpha__', inspectorUrl))).json()) as {
      steps: { type: string; kind: string; subject?: string; outcome?: string; to: string }[];
    };
    const calls = flow.steps.filter((step) => step.kind === 'message' && step.type === 'mcp.call');
    expect(calls.map((step) => step.subject)).toEqual(
      expect.arrayContaining(['tools/call alpha__echo', 'tools/call alpha__secret_tool']),
    );
    const effects = flow.steps.filter((step) => step.kind === 'effect');
    expect(effects.length).toBeGreaterThan(0);
    await client.close();
  });
});
