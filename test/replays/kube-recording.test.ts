// Recording in Kubernetes mode, end to end: a live control plane against a real kube-apiserver (and a real
// Envoy that ACKs the fixed route) is recorded; the replay of its log, with no API server and no Envoy, ends with
// the statuses, Gateway IR and xDS snapshots the live run ended with, and the API server holds those statuses.
// The API server is this file's own (started like the global setup's) so no other test's objects enter the logs.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerCommand } from '../../cli/controller.ts';
import { parseCommand } from '../../cli/options.ts';
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';
import { renderReplay } from '../../replay/output.ts';
import { replay } from '../../replay/session.ts';
import { parseEventLog, readEventLog } from '../../runtime/EventLog.ts';
import { KubeClient } from '../../sources/kubernetes/client.ts';
import { discoverResources } from '../../sources/kubernetes/ports.ts';
import { freePort } from '../harness/envoy/free-port.ts';
import setup from '../harness/kube/global-setup.ts';
import { serverSideApply } from '../harness/kube/server-side-apply.ts';
import { replayExpected } from './expected.ts';
import { recordKubeScenario, statusesInPlane } from './kube-record.ts';
import { gateway, gatewayClass, httpRoute, kubeScenarios, namespace, service } from './kube-scenarios.ts';

describe('recording in Kubernetes mode', () => {
  let kubeconfig: string | undefined;
  let teardown: (() => Promise<void>) | undefined;
  let listenerPort = 0;

  beforeAll(async () => {
    listenerPort = await freePort();
    teardown = await setup({
      provide: (key: string, value: string) => {
        if (key === 'kubeconfig') kubeconfig = value;
      },
    } as never);
  });

  afterAll(async () => {
    await teardown?.();
  });

  for (const name of ['kube-controller-restart', 'kube-envoy-nack']) {
    it(`${name}: the replay of the live recording ends where the live run ended`, async () => {
      const scenario = kubeScenarios(listenerPort).find((s) => s.name === name)!;
      const recordings = await recordKubeScenario(scenario, { kubeconfig: kubeconfig! });
      expect(recordings.length).toBe(scenario.steps.some((step) => step.restart === true) ? 2 : 1);
      for (const recording of recordings) {
        // What the live plane showed is what the API server holds.
        expect(statusesInPlane(recording.result)).toEqual(recording.apiserverStatuses);
        const log = parseEventLog(recording.log, recording.name);
        expect(log.header.composition).toMatchObject({ mode: 'kubernetes', backends: { envoy: {} } });
        const first = await replayExpected(log, recording.name, recording.summary, recording.checkpoints);
        expect(first.divergences).toEqual([]);
        // Every checkpoint's statuses, the IR and the xDS snapshots, as the live run showed them.
        expect(first.text).toBe(recording.live);
        const second = await replayExpected(log, recording.name, recording.summary, recording.checkpoints);
        expect(second.text).toBe(first.text);
        expect(renderReplay(recording.result, 'xds', 'yaml')).toContain('kind: EnvoyResources');
      }
      if (name === 'kube-envoy-nack') {
        // The lookahead is refused with RE2's words before Envoy could NACK it (regexes are validated with RE2).
        const refused = recordings[0]!.live
          .split('# checkpoint')
          .find((section) => section.includes('lookahead'));
        expect(refused).toMatch(/Dropped Rule 0: .*invalid perl operator: \(\?=/);
      }
    });
  }

  it('switchyard controller --record in Kubernetes mode: the replay ends with the statuses the API server holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-kube-record-'));
    const logFile = join(dir, 'controller.jsonl');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig!);
    const client = new KubeClient({ kubeconfig: kubeconfig! });
    const resources = await discoverResources(client, Object.keys(GROUP_OF_KIND) as KindName[]);
    const ns = 'replay-cli';
    await serverSideApply(kubeConfig, [
      namespace(ns),
      gatewayClass(ns),
      gateway(ns, ns, listenerPort),
      service(ns, 'app'),
    ]);
    let stop: (signal: NodeJS.Signals) => void = () => {};
    let stderr = '';
    const io = {
      stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
      stderr: new Writable({
        write: (chunk, _encoding, done) => {
          stderr += String(chunk);
          done();
        },
      }),
      env: {},
      stopRequested: new Promise<NodeJS.Signals>((resolve) => (stop = resolve)),
    };
    const parsed = parseCommand(
      controllerCommand.options,
      [
        ...['--kubeconfig', kubeconfig!, '--record', logFile, '--log-level', 'silent'],
        ...['--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--inspector', 'off'],
        ...['--leader-elect', 'false'],
      ],
      {},
    );
    const running = controllerCommand.run(parsed, io);
    const routeStatus = async () =>
      (await client.get(resources.get('HTTPRoute')!, ns, 'app'))?.status as
        | { parents?: unknown[] }
        | undefined;
    try {
      await serverSideApply(kubeConfig, [httpRoute(ns, 'app')]);
      for (let attempt = 0; attempt < 200 && ((await routeStatus())?.parents ?? []).length === 0; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await routeStatus())?.parents).toHaveLength(1);
      // Let the last status writes echo back through the watches before stopping.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      stop('SIGTERM');
      expect(await running).toBe(0);
    }
    expect(stderr).toBe('');
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const log = readEventLog(logFile);
    expect(log.header.composition).toMatchObject({
      mode: 'kubernetes',
      kubernetes: { provisioning: { envoy: {} } },
      backends: { envoy: { name: 'backend.envoy' } },
    });
    const result = await replay(log);
    expect(result.divergences).toEqual([]);
    // The statuses the replay ends with are the ones the API server holds (condition times aside: on the wall
    // clock replay stamps each input at its recorded instant, which may fall in the second before).
    const withoutTimes = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value ?? null, (key, inner) => (key === 'lastTransitionTime' ? undefined : inner)),
      );
    for (const object of result.objects) {
      const metadata = object.metadata as { name: string; namespace?: string };
      if (metadata.namespace !== undefined && metadata.namespace !== ns) continue;
      if (metadata.namespace === undefined && metadata.name !== ns) continue;
      const current = await client.get(
        resources.get(object.kind as KindName)!,
        metadata.namespace,
        metadata.name,
      );
      expect(withoutTimes(object.status), `${String(object.kind)} ${metadata.name}`).toEqual(
        withoutTimes(current?.status),
      );
    }
    expect(result.objects.some((o) => o.kind === 'HTTPRoute')).toBe(true);
    expect(renderReplay(result, 'xds', 'yaml')).toContain(`gateway: ${ns}/edge`);
    rmSync(dir, { recursive: true, force: true });
  });
});
