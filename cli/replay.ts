// `switchyard replay`: parses the flags and calls into replay/ (docs/record-replay.md).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedComposition } from '../replay/composition.ts';
import { serveReplayInspector } from '../replay/driver.ts';
import { nothingToShow, renderReplay, type Show } from '../replay/output.ts';
import { redactedObjects } from '../replay/recording-redaction.ts';
import { replay } from '../replay/session.ts';
import { type EventLog, readEventLog } from '../runtime/EventLog.ts';
import type { Command, CommandIO } from './command.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run a recorded event log again on a virtual clock and print the statuses it leads to',
  usage:
    'switchyard replay <file.jsonl> [--until <seq>] [--out <dir>] [-o yaml|json] [--show status|ir|xds|all] [--inspect]',
  options: {
    until: {
      kind: 'integer',
      min: 0,
      valueLabel: '<seq>',
      description: 'stop after the record with this sequence number (default: the end of the log)',
    },
    out: {
      kind: 'string',
      valueLabel: '<dir>',
      description: 'write status.yaml, ir.yaml and xds.yaml into this directory instead of printing',
    },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
    show: {
      kind: 'enum',
      values: ['status', 'ir', 'xds', 'all'],
      default: 'status',
      description:
        'what to print: the statuses, the Gateway IR, the xDS snapshot per Gateway (when the recorded plane had a data-plane backend), or all',
    },
    inspect: {
      kind: 'boolean',
      description: 'serve the inspector with replay controls (step, play, scrub) until interrupted',
    },
    'inspector-address': {
      kind: 'address',
      default: '127.0.0.1:9901',
      valueLabel: '<host:port>',
      description: 'with --inspect: where the inspector listens (loopback only)',
    },
  },
  endsOnStop: (parsed) => parsed.values.inspect !== true,
  async run(parsed, io) {
    const file = parsed.positionals[0];
    if (file === undefined || parsed.positionals.length > 1) {
      io.stderr.write('switchyard replay: give exactly one event log: switchyard replay <file.jsonl>\n');
      return 2;
    }
    let log: EventLog;
    try {
      log = readEventLog(file);
    } catch (error) {
      io.stderr.write(`switchyard replay: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const until = parsed.values.until as number | undefined;
    if (parsed.values.inspect === true)
      return inspectReplay(log, until, parsed.values['inspector-address'] as string, io);
    const result = await replay(log, until);
    for (const divergence of result.divergences) io.stderr.write(`replay diverged at ${divergence}\n`);
    const notice = redactionNotice(log);
    if (notice !== undefined) io.stderr.write(notice);
    for (const problem of result.problems) {
      const where = problem.message.startsWith(problem.origin) ? '' : `${problem.origin}: `;
      io.stderr.write(`${where}${problem.message}\n`);
    }
    const output = parsed.values.output as 'yaml' | 'json';
    const out = parsed.values.out as string | undefined;
    const show = out === undefined ? (parsed.values.show as Show) : 'all';
    const empty = nothingToShow(log, result, show);
    if (empty !== undefined) {
      io.stderr.write(`switchyard replay: nothing to show: ${empty}\n`);
      return 1;
    }
    if (out === undefined) {
      io.stdout.write(renderReplay(result, show, output));
    } else {
      const extension = output === 'json' ? 'json' : 'yaml';
      await mkdir(out, { recursive: true });
      await writeFile(join(out, `status.${extension}`), renderReplay(result, 'status', output));
      await writeFile(join(out, `ir.${extension}`), renderReplay(result, 'ir', output));
      await writeFile(join(out, `xds.${extension}`), renderReplay(result, 'xds', output));
      io.stderr.write(`replayed ${result.position} of ${log.records.at(-1)?.seq ?? 0} records into ${out}\n`);
    }
    return result.divergences.length === 0 ? 0 : 1;
  },
};

async function inspectReplay(
  log: EventLog,
  until: number | undefined,
  address: string,
  io: CommandIO,
): Promise<number> {
  const inspector = await serveReplayInspector(log, until, address);
  io.stderr.write(`inspector on ${inspector.url} (replay at seq ${inspector.position}); Ctrl-C to stop\n`);
  await io.stopRequested;
  await inspector.close();
  return 0;
}

/**
 * What a recording made without `--record-secrets` cannot reproduce, named: the objects whose secret values it holds
 * as markers. A status computed from a value itself (a certificate's private key, an htpasswd file) can differ
 * from the live run's; one that only needs the value to exist, or to have changed, is reproduced.
 */
function redactionNotice(log: EventLog): string | undefined {
  if ((log.header.composition as Partial<RecordedComposition>).secrets !== 'redacted') return undefined;
  const objects = redactedObjects(log.records);
  if (objects.length === 0) return undefined;
  const shown =
    objects.slice(0, 10).join(', ') + (objects.length > 10 ? `, and ${objects.length - 10} more` : '');
  return (
    `switchyard replay: the recording holds no secret values (recorded without --record-secrets): ${shown} ` +
    'replayed with redaction markers in their place. A status computed from a value itself (whether a TLS ' +
    'private key matches its certificate) can differ from the live run; record with --record-secrets to replay ' +
    'it exactly.\n'
  );
}
