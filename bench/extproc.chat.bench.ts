// extproc.chat: a load generator speaking ext_proc to our server (in its own process, as Envoy would):
// per request one Process stream with request headers, a 4 KB OpenAI chat body routed to an Anthropic
// backend (translated), response headers and an Anthropic response body (translated back, usage → costs).
// Closed loop with N concurrent streams → requests/s and latency; then an open loop at 1,000 requests/s
// → p50/p99 processing latency.
import { type ChildProcess, spawn } from 'node:child_process';
import { type ClientHttp2Session, connect } from 'node:http2';
import { createInterface } from 'node:readline';
import { parseExtProcConfig } from '../dataplane/extproc/config.ts';
import { externalProcessorTypes } from '../dataplane/extproc/external-processor-service.ts';
import { startExtProcServer } from '../dataplane/extproc/extproc-server.ts';
import type { ProcessingRequest } from '../dataplane/extproc/processing-messages.ts';
import { requestHeaders } from '../dataplane/extproc/testdata/ext-proc-client.ts';
import { report } from './report.ts';

const CONFIG = `
llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }, { metadataKey: llm_cost, type: CEL, cel: "input_tokens * 3u + output_tokens * 15u" }]
rules: [{ models: [claude-client], backends: [anthropic] }]
backends: [{ name: anthropic, schema: Anthropic, modelNameOverride: claude-3-5-haiku-20241022, auth: { anthropicAPIKey: { key: sk-bench } } }]
`;
const CONCURRENCY = 64;
const CLOSED_LOOP_MS = 6_000;
const OPEN_LOOP_RATE = 1_000;
const OPEN_LOOP_MS = 5_000;
const WARMUP_MS = 1_000;

function chatBody(): Buffer {
  const messages = [{ role: 'system', content: 'You are a helpful assistant that answers briefly.' }];
  let i = 0;
  // ~4 KB of conversation, as a typical chat request.
  while (JSON.stringify(messages).length < 4_000) {
    messages.push({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `Turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(6)}`,
    });
    i++;
  }
  return Buffer.from(JSON.stringify({ model: 'claude-client', messages, max_tokens: 512, temperature: 0.3 }));
}

const anthropicResponse = Buffer.from(
  JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: 'claude-3-5-haiku-20241022',
    content: [{ type: 'text', text: 'A short answer. '.repeat(20) }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 1100, output_tokens: 80 },
  }),
);

const body = chatBody();
const phases: ProcessingRequest[] = [
  requestHeaders({
    ':path': '/v1/chat/completions',
    ':method': 'POST',
    ':authority': 'gateway',
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-request-id': 'bench',
  }),
  { request_body: { body, end_of_stream: true } },
  {
    response_headers: requestHeaders({
      ':status': '200',
      'content-type': 'application/json',
      'content-length': String(anthropicResponse.length),
    }).request_headers,
  },
  { response_body: { body: anthropicResponse, end_of_stream: true } },
];

// The load generator speaks gRPC over raw HTTP/2 with pre-encoded frames: a grpc-js client costs as much
// CPU per stream as the server, and on 2 cores it, not the server, would set the pace.
const frames = phases.map((phase) => {
  const message = externalProcessorTypes()
    .request.encode(phase as never)
    .finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
});
const PROCESS_PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';

type ExtProcClient = ClientHttp2Session;

let refused = 0;

/** One request: a Process stream through all four phases, each sent after the previous reply. */
function oneRequest(session: ExtProcClient): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': PROCESS_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let buffered: Buffer = Buffer.alloc(0);
    let replies = 0;
    stream.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
        const length = buffered.readUInt32BE(1);
        const reply = externalProcessorTypes().response.decode(
          buffered.subarray(5, 5 + length),
        ) as unknown as { immediate_response: unknown };
        buffered = buffered.subarray(5 + length);
        // Refused (pool full, 503): counted apart, as the server shed the load instead of queueing it.
        if (reply.immediate_response != null) {
          refused++;
          stream.close();
          return resolve(Number.NaN);
        }
        replies++;
        if (replies < frames.length) stream.write(frames[replies]);
        else {
          stream.end();
          resolve(performance.now() - started);
        }
      }
    });
    stream.on('error', reject);
    stream.write(frames[0]);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function closedLoop(
  client: ExtProcClient,
  durationMs: number,
): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const ms = await oneRequest(client);
        if (!Number.isNaN(ms)) latencies.push(ms);
      }
    }),
  );
  return { rate: latencies.length / ((performance.now() - started) / 1000), latencies };
}

async function openLoop(client: ExtProcClient): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = (OPEN_LOOP_RATE * OPEN_LOOP_MS) / 1000;
  for (let i = 0; i < total; i++) {
    // Requests start on schedule whatever the previous ones are doing (no coordinated omission).
    const due = started + (i * 1000) / OPEN_LOOP_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // Latency counts from when the request was due, so a stalled server cannot hide its queueing (or from
    // when it was sent, if the timer let it go up to 1 ms early).
    const from = Math.min(due, performance.now());
    pending.push(
      oneRequest(client).then((ms) => void (Number.isNaN(ms) || latencies.push(performance.now() - from))),
    );
  }
  await Promise.all(pending);
  return latencies;
}

async function main(): Promise<void> {
  // The server runs with the V8 flags this process got (bench/run.ts passes the production ones).
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, import.meta.filename, '--serve'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      lines.once('line', resolve);
    });
  const address = await nextLine();
  const serverCpuMicros = async () => {
    child.stdin!.write('cpu\n');
    return Number(await nextLine());
  };
  const client = connect(`http://${address}`, { settings: { initialWindowSize: 1 << 20 } });
  client.on('error', () => {});
  try {
    await closedLoop(client, WARMUP_MS);
    const cpuBefore = await serverCpuMicros();
    const closed = await closedLoop(client, CLOSED_LOOP_MS);
    const cpuPerRequest = ((await serverCpuMicros()) - cpuBefore) / closed.latencies.length;
    const sortedClosed = closed.latencies.sort((a, b) => a - b);
    report('extproc.chat', 'requests_per_second', closed.rate, 'req/s');
    // The load generator shares the 2 cores with the server; CPU per request shows what one core sustains.
    report('extproc.chat', 'server_cpu_per_request', cpuPerRequest, 'µs');
    report('extproc.chat', 'server_capacity_per_core', 1_000_000 / cpuPerRequest, 'req/s');
    report('extproc.chat', `p50_latency_at_${CONCURRENCY}_concurrent`, percentile(sortedClosed, 50), 'ms');
    report('extproc.chat', `p99_latency_at_${CONCURRENCY}_concurrent`, percentile(sortedClosed, 99), 'ms');
    const open = (await openLoop(client)).sort((a, b) => a - b);
    report('extproc.chat', `p50_latency_at_${OPEN_LOOP_RATE}_rps`, percentile(open, 50), 'ms');
    report('extproc.chat', `p99_latency_at_${OPEN_LOOP_RATE}_rps`, percentile(open, 99), 'ms');
    report('extproc.chat', 'refused_with_503', refused, 'requests');
  } finally {
    client.close();
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (process.argv[2] === '--serve') {
  // The server side: its own process and event loop, like a real ext_proc deployment.
  const config = parseExtProcConfig(CONFIG);
  const server = await startExtProcServer({ listen: '127.0.0.1:0', config: () => config });
  process.stdout.write(`${server.address}\n`);
  // Each line on stdin asks for the CPU time used so far, so the parent can compute CPU per request.
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${user + system}\n`);
  });
  process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
} else {
  await main();
}
