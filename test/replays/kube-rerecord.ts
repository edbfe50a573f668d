// Re-records test/replays/kube-*.jsonl and their expected outputs from real runs against a kube-apiserver (and
// a real Envoy for kube-envoy-nack), started here as the integration tests' global setup starts them, and prints
// a readable diff of each expected output that changed.
//   npx node test/replays/kube-rerecord.ts            all Kubernetes scenarios
//   npx node test/replays/kube-rerecord.ts <name>...  some of them
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseEventLog } from '../../runtime/EventLog.ts';
import { freePort } from '../harness/envoy/free-port.ts';
import setup from '../harness/kube/global-setup.ts';
import { diff, replayExpected } from './expected.ts';
import { recordKubeScenario, statusesInPlane } from './kube-record.ts';
import { kubeScenarios } from './kube-scenarios.ts';

const here = dirname(fileURLToPath(import.meta.url));
// A fixed port when it is free, so re-recording does not change every Gateway listener in the logs.
const listenerPort = (await portIsFree(18480)) ? 18480 : await freePort();
const scenarios = kubeScenarios(listenerPort);
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}

let kubeconfig: string | undefined;
const teardown = await setup({
  provide: (key: string, value: string) => {
    if (key === 'kubeconfig') kubeconfig = value;
  },
} as never);
let failed = false;
try {
  for (const scenario of scenarios.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    for (const recording of await recordKubeScenario(scenario, { kubeconfig: kubeconfig! })) {
      const replayed = await replayExpected(
        parseEventLog(recording.log, recording.name),
        recording.name,
        recording.summary,
        recording.checkpoints,
      );
      const apiserverAgrees = isDeepStrictEqual(
        statusesInPlane(recording.result),
        recording.apiserverStatuses,
      );
      if (replayed.divergences.length > 0 || replayed.text !== recording.live || !apiserverAgrees) {
        // Never write a log that does not reproduce its own run.
        process.stderr.write(
          `${recording.name}: ${apiserverAgrees ? 'the replay does not reproduce the live run' : 'the live plane ended with statuses the API server does not hold'}; nothing written\n`,
        );
        for (const divergence of replayed.divergences) process.stderr.write(`  ${divergence}\n`);
        if (replayed.text !== recording.live)
          process.stderr.write(diff(recording.live, replayed.text, `${recording.name} live → replay`));
        failed = true;
        continue;
      }
      const expectedFile = join(here, `${recording.name}.expected.yaml`);
      const before = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
      writeFileSync(join(here, `${recording.name}.jsonl`), recording.log);
      writeFileSync(expectedFile, replayed.text);
      if (before === replayed.text) {
        process.stdout.write(`${recording.name}: unchanged (${recording.result.position} records)\n`);
        continue;
      }
      process.stdout.write(
        `${recording.name}: expected output changed (${recording.result.position} records, ${recording.log.length} bytes)\n${diff(before, replayed.text, recording.name)}`,
      );
    }
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  failed = true;
} finally {
  await teardown();
}
process.exit(failed ? 1 : 0);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
