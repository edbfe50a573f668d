// mcp.calls: tool calls per second and their latency through the MCP gateway versus directly to one MCP server,
// in one run. The server is an MCP server built with the official SDK (its Streamable HTTP transport, SSE
// answers), in its own process; the gateway is `switchyard mcp` in its own process with that server as the one
// backend of a route. The load generator (this process) opens one session per virtual client and calls a tool in
// a closed loop over keep-alive HTTP with pre-built bodies (an SDK client per call would cost more CPU than the
// proxy and set the pace on two cores). Each path gets a warm-up, then a measured closed loop; the ratios
// compare the two paths under the same generator, machine and moment.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { spawnMcpProxy } from '../test/harness/mcp/mcp-proxy-process.ts';
import { spawnMcpTestServer } from '../test/harness/mcp/mcp-test-server-process.ts';
import { report } from './report.ts';

const CONCURRENCY = 16;
const WARMUP_MS = 1_500;
const MEASURE_MS = 6_000;
const PROTOCOL_VERSION = '2025-06-18';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

interface Answer {
  readonly status: number;
  readonly sessionId: string | undefined;
  readonly body: string;
}

function post(url: URL, body: string, sessionId?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': Buffer.byteLength(body),
          ...(sessionId === undefined
            ? {}
            : { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          const id = response.headers['mcp-session-id'];
          resolve({
            status: response.statusCode ?? 0,
            sessionId: typeof id === 'string' ? id : sessionId,
            body: text,
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function openSession(url: URL): Promise<string> {
  const init = await post(
    url,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  );
  if (init.status !== 200 || init.sessionId === undefined)
    throw new Error(`initialize: ${init.status} ${init.body}`);
  const initialized = await post(
    url,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    init.sessionId,
  );
  if (initialized.status !== 202) throw new Error(`initialized: ${initialized.status}`);
  return init.sessionId;
}

/** One tools/call; the answer is JSON or an SSE stream whose data line carries it. */
async function callTool(url: URL, sessionId: string, id: number, tool: string): Promise<void> {
  const answer = await post(
    url,
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":{"text":"bench ${id}"}}}`,
    sessionId,
  );
  const json = answer.body.startsWith('{')
    ? answer.body
    : answer.body
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6);
  if (answer.status !== 200 || json === undefined || !json.includes('"result"'))
    throw new Error(`tools/call ${tool}: ${answer.status} ${answer.body.slice(0, 200)}`);
}

async function closedLoop(url: URL, sessions: readonly string[], tool: string, durationMs: number) {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let id = 1;
  await Promise.all(
    sessions.map(async (sessionId) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        await callTool(url, sessionId, id++, tool);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / ((performance.now() - started) / 1000), latencies };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function processCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  return ((Number(after[11]) + Number(after[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

async function measure(url: URL, tool: string, pids: readonly number[]) {
  const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, () => openSession(url)));
  await closedLoop(url, sessions, tool, WARMUP_MS);
  const cpu = pids.map(processCpuMicros);
  const result = await closedLoop(url, sessions, tool, MEASURE_MS);
  const cpuPerCall = pids.map((pid, i) => (processCpuMicros(pid) - cpu[i]!) / result.latencies.length);
  return { ...result, cpuPerCall };
}

async function main(): Promise<void> {
  const server = await spawnMcpTestServer('server', { execArgv: process.execArgv });
  const proxy = spawnMcpProxy({
    config: `routes: [{ name: bench/tools, path: /mcp, backends: [{ name: server, url: "${server.url}" }] }]`,
    execArgv: process.execArgv,
  });
  try {
    const listening = await proxy.listening();
    const serverPid = server.child.pid!;
    const proxyPid = proxy.child.pid!;
    const direct = await measure(new URL(server.url), 'echo', [serverPid]);
    const gateway = await measure(new URL(`http://${listening.address}/mcp`), 'server__echo', [
      serverPid,
      proxyPid,
    ]);
    report('mcp.calls', 'concurrent_sessions', CONCURRENCY, 'sessions');
    report('mcp.calls', 'direct_calls_per_second', direct.rate, 'calls/s');
    report('mcp.calls', 'gateway_calls_per_second', gateway.rate, 'calls/s');
    report('mcp.calls', 'gateway_to_direct_throughput_ratio', gateway.rate / direct.rate, 'ratio');
    report('mcp.calls', 'direct_p50_latency', percentile(direct.latencies, 50), 'ms');
    report('mcp.calls', 'direct_p99_latency', percentile(direct.latencies, 99), 'ms');
    report('mcp.calls', 'gateway_p50_latency', percentile(gateway.latencies, 50), 'ms');
    report('mcp.calls', 'gateway_p99_latency', percentile(gateway.latencies, 99), 'ms');
    report(
      'mcp.calls',
      'gateway_to_direct_p99_ratio',
      percentile(gateway.latencies, 99) / percentile(direct.latencies, 99),
      'ratio',
    );
    report('mcp.calls', 'server_cpu_per_call', direct.cpuPerCall[0]!, 'µs');
    report('mcp.calls', 'proxy_cpu_per_call', gateway.cpuPerCall[1]!, 'µs');
  } finally {
    agent.destroy();
    await proxy.stop();
    await server.stop();
  }
}

await main();
