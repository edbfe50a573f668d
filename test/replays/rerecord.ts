// Re-records test/replays/<name>.jsonl and <name>.expected.yaml from a real run of the standalone pipeline, and
// prints a readable diff of the expected output when behaviour changed on purpose.
//   npx node test/replays/rerecord.ts            all scenarios
//   npx node test/replays/rerecord.ts <name>...  some of them
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventLog } from '../../runtime/EventLog.ts';
import { diff, replayExpected } from './expected.ts';
import { recordScenario } from './record.ts';
import { scenarios } from './scenarios.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}

let failed = false;
for (const scenario of scenarios.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  const recording = await recordScenario(scenario);
  const replayed = await replayExpected(
    parseEventLog(recording.log, scenario.name),
    scenario.name,
    scenario.summary,
    recording.checkpoints,
  );
  const output = replayed.text;
  if (replayed.divergences.length > 0 || output !== recording.live) {
    // Never write a log that does not reproduce its own run.
    process.stderr.write(`${scenario.name}: the replay does not reproduce the live run; nothing written\n`);
    for (const divergence of replayed.divergences) process.stderr.write(`  ${divergence}\n`);
    failed = true;
    continue;
  }
  const expectedFile = join(here, `${scenario.name}.expected.yaml`);
  const before = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
  writeFileSync(join(here, `${scenario.name}.jsonl`), recording.log);
  writeFileSync(expectedFile, output);
  if (before === output) {
    process.stdout.write(`${scenario.name}: unchanged (${recording.result.position} records)\n`);
    continue;
  }
  process.stdout.write(`${scenario.name}: expected output changed\n${diff(before, output, scenario.name)}`);
}
process.exit(failed ? 1 : 0);
