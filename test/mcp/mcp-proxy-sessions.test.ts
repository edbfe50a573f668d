// `switchyard mcp` when things go wrong or run out: a backend killed mid-session, a backend restarted, sessions
// that expire, a pool that is full, clients without valid credentials.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type McpProxyProcess, spawnMcpProxy } from '../harness/mcp/mcp-proxy-process.ts';
import { type McpTestServer, startMcpTestServer } from '../harness/mcp/mcp-test-server.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://gateway.test/secure';

let alpha: McpTestServer;
let beta: McpTestServer;
let gamma: McpTestServer;
const proxies: McpProxyProcess[] = [];
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let publicJwk: JWK;

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

async function startProxy(
  config: string,
  poolSize?: number,
): Promise<{ proxy: McpProxyProcess; address: string }> {
  const proxy = spawnMcpProxy({ config, ...(poolSize === undefined ? {} : { poolSize }) });
  proxies.push(proxy);
  const { address } = await proxy.listening();
  return { proxy, address };
}

async function connect(
  url: string,
  token?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token === undefined ? {} : { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function initialize(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
}

function token(claims: { sub: string; aud?: string; iss?: string; expiresIn?: string }): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '5m')
    .sign(privateKey);
}

beforeAll(async () => {
  const keys = await generateKeyPair('ES256');
  privateKey = keys.privateKey;
  publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
});

// Each test stops and starts servers: each gets its own, so one failing leaves the next one unharmed.
beforeEach(async () => {
  alpha = await startMcpTestServer({ name: 'alpha' });
  beta = await startMcpTestServer({ name: 'beta', json: true });
  gamma = await startMcpTestServer({ name: 'gamma' });
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  await Promise.all([alpha.stop(), beta.stop(), gamma.stop()]);
});

function threeBackends(extra = ''): string {
  return `
${extra}
routes:
  - name: default/tools
    path: /mcp
    backends:
      - { name: alpha, url: "${alpha.url}" }
      - { name: beta, url: "${beta.url}" }
      - { name: gamma, url: "${gamma.url}" }
`;
}

describe('backends that fail', () => {
  test('a backend killed mid-session: its tools fail clearly, the others work, lists report it, and it rejoins', async () => {
    const { address } = await startProxy(threeBackends());
    const { client } = await connect(`http://${address}/mcp`);
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: '1' } }))).toBe(
      'beta:echo:1',
    );
    await beta.stop();
    await expect(client.callTool({ name: 'beta__echo', arguments: {} })).rejects.toThrow(
      "MCP error -32603: backend 'beta' is unreachable: connect ECONNREFUSED",
    );
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: '2' } }))).toBe(
      'alpha:echo:2',
    );
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: '3' } }))).toBe(
      'gamma:echo:3',
    );
    const listed = await client.listTools();
    expect(listed.tools.some((tool) => tool.name.startsWith('beta__'))).toBe(false);
    expect(listed.tools.some((tool) => tool.name === 'alpha__echo')).toBe(true);
    expect(listed._meta?.['switchyard/unavailableBackends']).toEqual([
      {
        backend: 'beta',
        error: expect.stringMatching(/backend 'beta' is unreachable: connect ECONNREFUSED/),
      },
    ]);
    // Back on its port: the next call initialises a new session with it.
    const initializes = beta.seen.filter((r) => r.rpcMethod === 'initialize').length;
    await beta.start();
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: '4' } }))).toBe(
      'beta:echo:4',
    );
    expect(beta.seen.filter((r) => r.rpcMethod === 'initialize').length).toBe(initializes + 1);
    expect((await client.listTools())._meta).toBeUndefined();
    await client.close();
  });

  test('a backend restarted between calls forgot the session: it is initialised again and the call retried', async () => {
    const { address } = await startProxy(threeBackends());
    const { client } = await connect(`http://${address}/mcp`);
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: 'a' } }))).toBe(
      'gamma:echo:a',
    );
    const initializes = gamma.seen.filter((r) => r.rpcMethod === 'initialize').length;
    await gamma.stop();
    await gamma.start();
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: 'b' } }))).toBe(
      'gamma:echo:b',
    );
    expect(gamma.seen.filter((r) => r.rpcMethod === 'initialize').length).toBe(initializes + 1);
    await client.close();
  });

  test('a backend down at initialize: the session starts with the others and the backend joins when it is back', async () => {
    await alpha.stop();
    const { address } = await startProxy(threeBackends());
    const { client } = await connect(`http://${address}/mcp`);
    const listed = await client.listTools();
    expect(listed.tools.some((tool) => tool.name.startsWith('alpha__'))).toBe(false);
    expect(listed._meta?.['switchyard/unavailableBackends']).toEqual([
      { backend: 'alpha', error: expect.stringContaining('ECONNREFUSED') },
    ]);
    await alpha.start();
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'late' } }))).toBe(
      'alpha:echo:late',
    );
    await client.close();
  });
});

describe('sessions', () => {
  test('an idle session expires: its backend sessions are deleted and the client gets 404', async () => {
    const { proxy, address } = await startProxy(threeBackends('sessionIdleTimeoutSeconds: 1'));
    const { client, transport } = await connect(`http://${address}/mcp`);
    await client.callTool({ name: 'alpha__echo', arguments: {} });
    const sessionId = transport.sessionId!;
    const deleted = { alpha: alpha.deleted.length, gamma: gamma.deleted.length };
    await proxy.logged((entry) => entry.msg === 'mcp session ended' && entry.session === sessionId);
    expect(
      proxy.logs.find((entry) => entry.msg === 'mcp session ended' && entry.session === sessionId)?.reason,
    ).toBe('expired');
    expect(alpha.deleted.length).toBe(deleted.alpha + 1);
    expect(gamma.deleted.length).toBe(deleted.gamma + 1);
    await expect(client.callTool({ name: 'alpha__echo', arguments: {} })).rejects.toMatchObject({
      code: 404,
    });
    // A new initialize is a new session.
    const again = await connect(`http://${address}/mcp`);
    expect(textOf(await again.client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }))).toBe(
      'alpha:echo:x',
    );
    await again.client.close();
  });

  test('many concurrent sessions up to the pool size; one more is refused with 503 until one ends', async () => {
    const size = 24;
    const { proxy, address } = await startProxy(threeBackends(), size);
    const url = `http://${address}/mcp`;
    const sessions = await Promise.all(Array.from({ length: size }, () => connect(url)));
    const results = await Promise.all(
      sessions.flatMap(({ client }, i) =>
        ['alpha', 'beta', 'gamma'].map((backend) =>
          client.callTool({ name: `${backend}__echo`, arguments: { text: String(i) } }).then(textOf),
        ),
      ),
    );
    expect(results).toEqual(
      sessions.flatMap((_, i) => [`alpha:echo:${i}`, `beta:echo:${i}`, `gamma:echo:${i}`]),
    );
    const refused = await initialize(url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      `serves ${size} sessions`,
    );
    await sessions[0]!.transport.terminateSession();
    const admitted = await connect(url);
    expect(textOf(await admitted.client.callTool({ name: 'beta__echo', arguments: { text: 'in' } }))).toBe(
      'beta:echo:in',
    );
    const metrics = await (await fetch(`http://${(await proxy.listening()).http}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_mcp_sessions_refused_total 1/);
    expect(metrics).toMatch(new RegExp(`switchyard_mcp_sessions_open ${size}`));
    await Promise.all([...sessions.slice(1), admitted].map(({ client }) => client.close()));
  });
});

describe('the process', () => {
  test('a bad configuration exits 2 naming the field and the fix', async () => {
    const proxy = spawnMcpProxy({ config: 'routes: [{ name: r, backends: [{ name: a, url: "ftp://x" }] }]' });
    proxies.push(proxy);
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toContain("--config: routes[0].backends[0].url 'ftp://x' must be http or https");
  });

  test('SIGTERM with a session open (its standalone stream too): the session ends, backends hear DELETE, exit 0', async () => {
    const { proxy, address } = await startProxy(threeBackends());
    const { client } = await connect(`http://${address}/mcp`);
    await client.callTool({ name: 'alpha__echo', arguments: {} });
    // The client's standalone GET stream is open now or soon; either way stopping must not wait for it.
    const deleted = alpha.deleted.length;
    expect(await proxy.stop()).toBe(0);
    expect(proxy.logs.some((entry) => entry.msg === 'mcp session ended' && entry.reason === 'shutdown')).toBe(
      true,
    );
    expect(alpha.deleted.length).toBe(deleted + 1);
  });

  test('a new configuration applies to open sessions: a newly excluded tool is refused, the client is told', async () => {
    const { proxy, address } = await startProxy(threeBackends());
    const { client } = await connect(`http://${address}/mcp`);
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: '1' } }))).toBe(
      'gamma:echo:1',
    );
    proxy.reconfigure(`
routes:
  - name: default/tools
    path: /mcp
    backends:
      - { name: alpha, url: "${alpha.url}" }
      - { name: gamma, url: "${gamma.url}", toolSelector: { exclude: [echo] } }
`);
    await proxy.logged((entry) => entry.msg === 'mcp proxy config reloaded');
    await expect(client.callTool({ name: 'gamma__echo', arguments: {} })).rejects.toThrow(
      'Unknown tool: gamma__echo',
    );
    await expect(client.callTool({ name: 'beta__echo', arguments: {} })).rejects.toThrow(
      'Unknown tool: beta__echo',
    );
    const { tools } = await client.listTools();
    expect(tools.some((tool) => tool.name === 'gamma__echo' || tool.name.startsWith('beta__'))).toBe(false);
    expect(tools.some((tool) => tool.name === 'gamma__whoami')).toBe(true);
    // beta left the route: its session was deleted.
    await beta.request((r) => r.method === 'DELETE');
    await client.close();
  });

  test('answers in JSON when the answer is all there is, in SSE once something related must go first', async () => {
    const { address } = await startProxy(threeBackends());
    const url = `http://${address}/mcp`;
    const init = await initialize(url);
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(init.headers.get('content-type')).toBe('application/json');
    const post = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify(body),
      });
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    const plain = await post({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'alpha__echo', arguments: { text: 'j' } },
    });
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'alpha:echo:j' }] },
    });
    const streamed = await post({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'alpha__progress', arguments: {}, _meta: { progressToken: 'p1' } },
    });
    expect(streamed.headers.get('content-type')).toBe('text/event-stream');
    const events = (await streamed.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { method?: string; id?: number });
    expect(events.map((event) => event.method ?? `response ${event.id}`)).toEqual([
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'response 3',
    ]);
    const badVersion = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '1999-01-01',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }),
    });
    expect(badVersion.status).toBe(400);
    const noSession = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    const foreignOrigin = await initialize(url, { origin: 'https://evil.example' });
    expect(foreignOrigin.status).toBe(403);
  });
});

describe('client authentication (OAuth bearer JWT)', () => {
  let secureUrl: string;
  let openUrl: string;

  beforeEach(async () => {
    const { address } = await startProxy(`
routes:
  - name: default/secure
    path: /secure
    backends: [{ name: alpha, url: "${alpha.url}" }]
    authentication:
      jwt:
        issuer: ${ISSUER}
        audiences: [${AUDIENCE}]
        jwks: { json: '${JSON.stringify({ keys: [publicJwk] })}' }
      resourceMetadata:
        resource: ${AUDIENCE}
        scopesSupported: [mcp.tools]
  - name: default/open
    path: /mcp
    backends: [{ name: gamma, url: "${gamma.url}" }]
`);
    secureUrl = `http://${address}/secure`;
    openUrl = `http://${address}/mcp`;
  });

  test('a client without a token gets 401 with the challenge naming the resource metadata', async () => {
    const response = await initialize(secureUrl);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://gateway.test/.well-known/oauth-protected-resource/secure", scope="mcp.tools"',
    );
    await expect(connect(secureUrl)).rejects.toMatchObject({ code: 401 });
    const metadata = await fetch(new URL('/.well-known/oauth-protected-resource/secure', secureUrl));
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toEqual({
      resource: AUDIENCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp.tools'],
    });
  });

  test('invalid tokens get 401 invalid_token: wrong audience, wrong issuer, expired, bad signature', async () => {
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(other.privateKey);
    for (const bad of [
      await token({ sub: 'ann', aud: 'https://elsewhere.test' }),
      await token({ sub: 'ann', iss: 'https://evil.test' }),
      await token({ sub: 'ann', expiresIn: '-1m' }),
      forged,
    ]) {
      const response = await initialize(secureUrl, { authorization: `Bearer ${bad}` });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer error="invalid_token", error_description=/,
      );
    }
    expect((await initialize(secureUrl, { authorization: 'Basic YWxhZGRpbjpvcGVu' })).status).toBe(401);
  });

  test("a valid token is served; a session is bound to its subject, another user's token cannot use it", async () => {
    const ann = await token({ sub: 'ann' });
    const { client, transport } = await connect(secureUrl, ann);
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'ok' } }))).toBe(
      'alpha:echo:ok',
    );
    const bob = await token({ sub: 'bob' });
    const hijack = await fetch(secureUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${bob}`,
        'mcp-session-id': transport.sessionId!,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(404);
    // Without the token the session cannot be used either.
    const anonymous = await fetch(secureUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId!,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(anonymous.status).toBe(401);
    await client.close();
    // The route without authentication needs no token.
    const open = await connect(openUrl);
    expect(textOf(await open.client.callTool({ name: 'gamma__echo', arguments: { text: 'free' } }))).toBe(
      'gamma:echo:free',
    );
    await open.client.close();
  });
});
