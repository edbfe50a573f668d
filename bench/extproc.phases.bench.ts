// extproc.phases: the service's own work on one request, in process — the four ext_proc phases (request headers,
// the ~4 KB body translated for the backend, response headers, the answer translated back with costs) through a
// StreamProcessor, per pair of client API and backend schema (bench/extproc-pairs.ts). No gRPC, no HTTP/2, no
// actors, one process: CPU per request that a shared, loaded machine changes far less than extproc.chat's (which
// adds the gRPC server, the actor pool and the scheduling of three processes on the cores).
import { parseExtProcConfig } from '../dataplane/extproc/config.ts';
import { StreamProcessor } from '../dataplane/extproc/stream-processor.ts';
import { CONFIG, PAIRS, phasesOf } from './extproc-pairs.ts';
import { report } from './report.ts';

const WARMUP = 3_000;
const REQUESTS = 20_000;

const config = parseExtProcConfig(CONFIG);
const time = Date.parse('2026-12-07T12:00:00Z');

for (const pair of PAIRS) {
  const phases = phasesOf(pair);
  const run = (requests: number) => {
    for (let i = 0; i < requests; i++) {
      const processor = new StreamProcessor(config, `bench-${i}`);
      for (const phase of phases) processor.process(phase, time);
    }
  };
  run(WARMUP);
  const before = process.cpuUsage();
  run(REQUESTS);
  const used = process.cpuUsage(before);
  report('extproc.phases', `cpu_per_request_${pair.name}`, (used.user + used.system) / REQUESTS, 'µs');
}
