// extproc.chat: a load generator speaking ext_proc to our server (in its own process, as Envoy would): per
// request one Process stream with request headers, a 4 KB chat body translated for the backend, response
// headers and the backend's response body translated back with costs (a CEL one included). One run measures
// several pairs of client API and backend schema (OpenAI → Anthropic, OpenAI → Bedrock with SigV4 signing,
// Anthropic → OpenAI, and the OpenAI passthrough as the floor), so a slow translator shows against the others.
// The server is `switchyard extproc --workers <cores>` (each worker a process with one connection from the
// generator, as Envoy opens one per worker thread); a closed loop with N concurrent streams → requests/s and CPU
// per request, taken in rounds that go through every pair in turn (each round starting at another pair), so a
// load that changes during the run weighs on every pair alike instead of on the last ones; then per pair an open
// loop at 1,000 requests/s → latency and the service's own processing time; last, the closed loop of the first
// pair against one worker, for the per-process figures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type ClientHttp2Session, connect } from 'node:http2';
import { availableParallelism } from 'node:os';
import { spawnExtProc } from '../cli/testdata/extproc-process.ts';
import { externalProcessorTypes } from '../dataplane/extproc/external-processor-service.ts';
import { CONFIG, PAIRS, type Pair, phasesOf } from './extproc-pairs.ts';
import { report } from './report.ts';

const CONCURRENCY = 64;
/** Per pair, in CLOSED_LOOP_ROUNDS slices. */
const CLOSED_LOOP_MS = 6_000;
const CLOSED_LOOP_ROUNDS = 3;
const OPEN_LOOP_RATE = 1_000;
const OPEN_LOOP_MS = 5_000;
const WARMUP_MS = 1_000;

// The load generator speaks gRPC over raw HTTP/2 with pre-encoded frames: a grpc-js client costs as much
// CPU per stream as the server, and on 2 cores it, not the server, would set the pace.
/** A pair's four phases as gRPC frames, encoded once. */
function framesOf(pair: Pair): Buffer[] {
  return phasesOf(pair).map((phase) => {
    const message = externalProcessorTypes()
      .request.encode(phase as never)
      .finish();
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    return frame;
  });
}
const PROCESS_PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';

type ExtProcClient = ClientHttp2Session;

let refused = 0;

const IMMEDIATE_RESPONSE_FIELD = externalProcessorTypes().response.fields.immediate_response!.id;

/**
 * Whether an encoded ProcessingResponse is an immediate_response, by walking its top-level fields without
 * decoding them: decoding every reply (a 4 KB translated body among them) would make the load generator, which
 * shares the two cores with the server, cost as much as the server.
 */
function isImmediateResponse(bytes: Buffer, start: number, end: number): boolean {
  let at = start;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (at < end) {
    const key = varint();
    if (Math.floor(key / 8) === IMMEDIATE_RESPONSE_FIELD) return true;
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 2) {
      const length = varint(); // read before `at` is: `at += varint()` would add to the old position
      at += length;
    } else if (wire === 5) at += 4;
    else throw new Error(`unexpected wire type ${wire} in a ProcessingResponse`);
  }
  return false;
}

/** One request: a Process stream through all four phases, each sent after the previous reply. */
function oneRequest(session: ExtProcClient, frames: readonly Buffer[]): Promise<number> {
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
      let at = 0;
      while (buffered.length - at >= 5 && buffered.length - at >= 5 + buffered.readUInt32BE(at + 1)) {
        const end = at + 5 + buffered.readUInt32BE(at + 1);
        const immediate = isImmediateResponse(buffered, at + 5, end);
        at = end;
        // Refused (pool full, 503): counted apart, as the server shed the load instead of queueing it.
        if (immediate) {
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
      buffered = at === buffered.length ? Buffer.alloc(0) : buffered.subarray(at);
    });
    stream.on('error', reject);
    stream.write(frames[0]);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function closedLoop(
  clients: readonly ExtProcClient[],
  frames: readonly Buffer[],
  durationMs: number,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const client = clients[i % clients.length]!;
      while (performance.now() < deadline) {
        const ms = await oneRequest(client, frames);
        if (!Number.isNaN(ms)) latencies.push(ms);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function openLoop(clients: readonly ExtProcClient[], frames: readonly Buffer[]): Promise<number[]> {
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
      oneRequest(clients[i % clients.length]!, frames).then(
        (ms) => void (Number.isNaN(ms) || latencies.push(performance.now() - from)),
      ),
    );
  }
  await Promise.all(pending);
  return latencies;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU of a process so far, in µs (Linux /proc; the workers are other processes). */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces), counted from field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

interface Server {
  readonly clients: readonly ExtProcClient[];
  /** The processing-time histogram from the server's /metrics (all workers): bucket bound (s) → count. */
  processingHistogram(): Promise<Map<number, number>>;
  cpuMicros(): number;
  stop(): Promise<void>;
}

/**
 * `switchyard extproc --workers <n>` in its own process, with the V8 flags this process got (bench/run.ts passes
 * the production ones), and one HTTP/2 connection per worker.
 */
async function startServer(workers: number): Promise<Server> {
  const service = spawnExtProc({ config: CONFIG, workers, execArgv: process.execArgv });
  const listening = await service.listening();
  const pids = [service.child.pid!, ...listening.workers];
  const clients = Array.from({ length: workers }, () => {
    const client = connect(`http://${listening.address}`, { settings: { initialWindowSize: 1 << 20 } });
    client.on('error', () => {});
    return client;
  });
  return {
    clients,
    processingHistogram: async () => {
      const text = await (await fetch(`http://${listening.http}/metrics`)).text();
      const buckets = new Map<number, number>();
      for (const match of text.matchAll(
        /^switchyard_extproc_request_processing_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm,
      ))
        buckets.set(match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[2]));
      return buckets;
    },
    cpuMicros: () => pids.reduce((sum, pid) => sum + processCpuMicros(pid), 0),
    stop: async () => {
      for (const client of clients) client.close();
      await service.stop();
    },
  };
}

/** The upper bound (ms) of the histogram bucket where the p-th percentile of the observations in between falls. */
function bucketBound(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const bound of bounds) {
    const count = (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
    if (count >= (p / 100) * total) return bound * 1000;
  }
  return Number.NaN;
}

/** A closed loop's requests, latencies and CPU (of the server and of this process), to add up over rounds. */
interface ClosedLoopTotals {
  requests: number;
  seconds: number;
  serverCpu: number;
  generatorCpu: number;
  readonly latencies: number[];
}

async function closedLoopSlice(
  server: Server,
  frames: readonly Buffer[],
  ms: number,
  totals: ClosedLoopTotals,
) {
  const cpuBefore = server.cpuMicros();
  const generatorCpu = process.cpuUsage();
  const closed = await closedLoop(server.clients, frames, ms);
  const generatorUsed = process.cpuUsage(generatorCpu);
  totals.serverCpu += server.cpuMicros() - cpuBefore;
  totals.generatorCpu += generatorUsed.user + generatorUsed.system;
  totals.requests += closed.latencies.length;
  totals.seconds += closed.seconds;
  for (const latency of closed.latencies) totals.latencies.push(latency);
}

/**
 * The closed loop of every pair after a warm-up each, in rounds: round r goes through the pairs starting at pair r.
 * Returns per pair its requests/s and CPU per request over all its slices.
 */
async function measureClosedLoops(server: Server, frames: readonly (readonly Buffer[])[]) {
  for (const pairFrames of frames) await closedLoop(server.clients, pairFrames, WARMUP_MS);
  const totals = frames.map(
    (): ClosedLoopTotals => ({ requests: 0, seconds: 0, serverCpu: 0, generatorCpu: 0, latencies: [] }),
  );
  for (let round = 0; round < CLOSED_LOOP_ROUNDS; round++) {
    for (let i = 0; i < frames.length; i++) {
      const pair = (round + i) % frames.length;
      await closedLoopSlice(server, frames[pair]!, CLOSED_LOOP_MS / CLOSED_LOOP_ROUNDS, totals[pair]!);
    }
  }
  return totals.map((total) => ({
    rate: total.requests / total.seconds,
    latencies: total.latencies,
    serverCpuPerRequest: total.serverCpu / total.requests,
    generatorCpuPerRequest: total.generatorCpu / total.requests,
  }));
}

async function main(): Promise<void> {
  const workers = Math.max(1, availableParallelism());
  const server = await startServer(workers);
  report('extproc.chat', 'workers', workers, 'processes');
  try {
    const frames = PAIRS.map(framesOf);
    const closedLoops = await measureClosedLoops(server, frames);
    for (const [index, pair] of PAIRS.entries()) {
      const closed = closedLoops[index]!;
      const sortedClosed = closed.latencies.sort((a, b) => a - b);
      const name = pair.name;
      report('extproc.chat', `requests_per_second_${name}`, closed.rate, 'req/s');
      // The load generator shares the cores with the server: CPU per request is the figure to compare.
      report('extproc.chat', `server_cpu_per_request_${name}`, closed.serverCpuPerRequest, 'µs');
      report('extproc.chat', `load_generator_cpu_per_request_${name}`, closed.generatorCpuPerRequest, 'µs');
      report(
        'extproc.chat',
        `p99_latency_at_${CONCURRENCY}_concurrent_${name}`,
        percentile(sortedClosed, 99),
        'ms',
      );
      const before = await server.processingHistogram();
      const open = (await openLoop(server.clients, frames[index]!)).sort((a, b) => a - b);
      const after = await server.processingHistogram();
      // As the load generator sees it: loopback HTTP/2 and its own event loop included.
      report('extproc.chat', `p50_latency_at_${OPEN_LOOP_RATE}_rps_${name}`, percentile(open, 50), 'ms');
      report('extproc.chat', `p99_latency_at_${OPEN_LOOP_RATE}_rps_${name}`, percentile(open, 99), 'ms');
      // As the service measures its own work on each request (switchyard_extproc_request_processing_seconds):
      // the bucket bound the percentile falls under.
      report(
        'extproc.chat',
        `processing_p50_at_${OPEN_LOOP_RATE}_rps_at_most_${name}`,
        bucketBound(before, after, 50),
        'ms',
      );
      report(
        'extproc.chat',
        `processing_p99_at_${OPEN_LOOP_RATE}_rps_at_most_${name}`,
        bucketBound(before, after, 99),
        'ms',
      );
    }
  } finally {
    await server.stop();
  }
  // One process alone, on the first pair: what a single core sustains.
  const single = await startServer(1);
  try {
    const closed = (await measureClosedLoops(single, [framesOf(PAIRS[0]!)]))[0]!;
    report('extproc.chat', 'requests_per_second_one_worker', closed.rate, 'req/s');
    report('extproc.chat', 'server_cpu_per_request_one_worker', closed.serverCpuPerRequest, 'µs');
    report('extproc.chat', 'server_capacity_per_core', 1_000_000 / closed.serverCpuPerRequest, 'req/s');
  } finally {
    await single.stop();
  }
  report('extproc.chat', 'refused_with_503', refused, 'requests');
}

await main();
