// Replay of Kubernetes-mode recordings (test/replays/kube-*.jsonl, recorded against a real kube-apiserver and a
// real Envoy): the composition header, the fake edges standing in for the API server and the ADS server, and
// the xDS snapshots in the output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envoyDataPlaneTemplate } from '../backends/envoy/data-plane-template.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { recordedComposition } from '../replay/composition.ts';
import { createReplay, replay } from '../replay/session.ts';
import { parseEventLog, readEventLog } from '../runtime/EventLog.ts';
import type { ApiResource } from '../sources/kubernetes/client.ts';
import { checkpointsOf } from '../test/replays/expected.ts';
import { parseCommand } from './options.ts';
import { replayCommand } from './replay.ts';

const replays = join(import.meta.dirname, '..', 'test', 'replays');
const nackLog = join(replays, 'kube-envoy-nack.jsonl');

async function runReplay(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write: (chunk, _encoding, done) => {
        append(String(chunk));
        done();
      },
    });
  const code = await replayCommand.run(parseCommand(replayCommand.options, args, {}), {
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    env: {},
    stopRequested: new Promise(() => {}),
  });
  return { code, stdout, stderr };
}

describe('the Kubernetes composition of a recording', () => {
  const gateways: ApiResource = {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    kind: 'Gateway',
    plural: 'gateways',
    namespaced: true,
  };

  it('records the discovered resources, provisioning and leader election; files mode stays the default', () => {
    const composition = recordedComposition({
      controllerName: 'example.com/gw',
      kubernetes: {
        resources: new Map<KindName, ApiResource | undefined>([
          ['InferencePool', undefined],
          ['Gateway', gateways],
        ]),
        provisioning: {
          envoy: {
            template: envoyDataPlaneTemplate({ image: 'envoy:test' }),
            xdsAddress: 'xds.example:18000',
          },
        },
        leaderElection: true,
      },
      backends: { envoy: { name: 'backend.envoy' } },
    });
    expect(JSON.parse(JSON.stringify(composition))).toEqual({
      kind: 'control-plane',
      mode: 'kubernetes',
      controllerName: 'example.com/gw',
      flushDelayMs: 20,
      backends: { envoy: { name: 'backend.envoy' } },
      kubernetes: {
        // Sorted by kind; a kind that is not served is null.
        resources: { Gateway: gateways, InferencePool: null },
        provisioning: { envoy: { image: 'envoy:test', xdsAddress: 'xds.example:18000' } },
        leaderElection: true,
      },
    });
    expect(recordedComposition()).toMatchObject({ mode: 'files', files: { watch: true } });
  });

  it('refuses a log that provisions a backend replay cannot rebuild, naming it', () => {
    const text = readFileSync(nackLog, 'utf8').split('\n');
    const header = JSON.parse(text[0]!) as { composition: { kubernetes: Record<string, unknown> } };
    header.composition.kubernetes.provisioning = { other: { image: 'x', xdsAddress: 'y:1' } };
    text[0] = JSON.stringify(header);
    expect(() => createReplay(parseEventLog(text.join('\n'), 'edited'))).toThrow(
      'the log provisions the "other" backend; replay knows "envoy", "agentgateway"',
    );
  });
});

describe('replaying a recording made against the API server and a real Envoy', () => {
  it('needs neither: the status writes go to the status store, the xDS to the snapshot edge', async () => {
    const session = createReplay(readEventLog(nackLog));
    await session.replayer.runUntil();
    expect(session.replayer.divergences).toEqual([]);
    const written = session.plane.statuses.entries().map((entry) => `${entry.key.kind} ${entry.key.name}`);
    expect(written).toEqual(
      expect.arrayContaining(['Gateway edge', 'HTTPRoute app', 'GatewayClass replay-nack']),
    );
    expect([...(session.snapshots.envoy?.snapshots.keys() ?? [])]).toEqual(['replay-nack/edge']);
    await session.replayer.stop();
    session.plane.close();
  });

  it('prints the xDS snapshot per Gateway in translate format with --show xds', async () => {
    const result = await runReplay([nackLog, '--show', 'xds']);
    expect(result.code).toBe(0);
    const documents = parseAllDocuments(result.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(documents.map((d) => [d.kind, d.gateway])).toEqual([['EnvoyResources', 'replay-nack/edge']]);
    const resources = documents[0]!.resources as { routeConfigurations: Record<string, unknown> };
    // The fixed route (regex /v1/.*) is what Envoy was last sent.
    expect(JSON.stringify(resources.routeConfigurations)).toContain('/v1/.*');
  });

  it('shows the refused rule with RE2’s text at the point it happened (Envoy never sees it), and its recovery at the end', async () => {
    const log = readEventLog(nackLog);
    const statusesAt = async (until?: number) => {
      const result = await replay(log, until);
      const condition = (kind: string, type: string) => {
        const status = result.objects.find((o) => o.kind === kind)!.status as {
          conditions?: { type: string; status: string; message: string }[];
          parents?: { conditions: { type: string; status: string; message: string }[] }[];
        };
        return (status.conditions ?? status.parents?.[0]?.conditions ?? []).find((c) => c.type === type)!;
      };
      return { programmed: condition('Gateway', 'Programmed'), accepted: condition('HTTPRoute', 'Accepted') };
    };
    // Where the recording script marked the end of the refused step (the statuses had come back by then).
    const expected = readFileSync(join(replays, 'kube-envoy-nack.expected.yaml'), 'utf8');
    const refused = checkpointsOf(expected).find((checkpoint) => checkpoint.note.includes('RE2'))!;
    // The model refuses the regex with RE2's words: Envoy is never sent it, so it never NACKs.
    expect(log.records.some((r) => r.kind === 'send' && r.message.type === 'envoy.proxy.rejected')).toBe(
      false,
    );
    const atRefusal = await statusesAt(refused.seq);
    expect(atRefusal.programmed.status).toBe('True');
    expect(atRefusal.accepted).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(atRefusal.accepted.message).toMatch(
      /Dropped Rule 0: spec\.rules\[0\]\.matches\[0\]\.path\.value: invalid regular expression: invalid perl operator: \(\?=/,
    );
    const end = await statusesAt();
    expect([end.programmed.status, end.accepted.status]).toEqual(['True', 'True']);
  });
});
