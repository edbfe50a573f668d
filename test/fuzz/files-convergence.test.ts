// The files-mode controller fed a history of edits — files written (good, rejected or unreadable objects, the
// same object in several files), removed, a directory removed — and the watcher's announcements in any grouping
// and order, ends where a fresh start on the final files starts: the same stored objects with the same statuses,
// the same Gateway IRs (the xDS is a function of them), the same problem list and the same owner of each object.
//
// The final files hold no refused file and no rejected object: a refused file keeps what it defined before, and
// a rejected definition leaves the last accepted one in force (docs/architecture.md, "Standalone mode"), so a
// history can legitimately end elsewhere than a fresh start while the input is bad.
//
// No watcher: the test announces the changes itself (`wrapPorts`), as the watcher would, and waits for the plane
// to be quiescent on its virtual clock — no sleeps, and a seed replays a case exactly. FUZZ_SEED and FUZZ_RUNS
// run other seeds, or more cases (150 cases found each of the three bugs it was written for; a few seconds).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { freshState, planeState, startAnnounced } from '../harness/plane-state.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const FILES = ['a.yaml', 'b.yaml', 'sub/c.yaml'] as const;
type FileName = (typeof FILES)[number];

const gatewayClass = (controller: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: ${controller}}
`;
const gateway = (port: number, className: string, from = 'All') => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: apps}
spec:
  gatewayClassName: ${className}
  allowedListeners: {namespaces: {from: Same}}
  listeners:
    - {name: http, protocol: HTTP, port: ${port}, allowedRoutes: {namespaces: {from: ${from}}}}
    - name: https
      protocol: HTTPS
      port: 8443
      tls: {certificateRefs: [{name: edge-cert}]}
      allowedRoutes: {namespaces: {from: ${from}, selector: {matchLabels: {team: web}}}}
`;
const listenerSet = (port: number) => `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: apps}
spec:
  parentRef: {name: edge}
  listeners: [{name: more, protocol: HTTP, port: ${port}}]
`;
const namespace = (team: string) => `apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {team: ${team}}}
`;
const CROSS_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross, namespace: web}
spec:
  parentRefs: [{name: edge, namespace: apps}]
  rules: [{backendRefs: [{name: shop, namespace: apps, port: 80}]}]
`;
const GRANT = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: web-to-shop, namespace: apps}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]
  to: [{group: "", kind: Service}]
`;
const CERT = `apiVersion: v1
kind: Secret
metadata: {name: edge-cert, namespace: apps}
type: kubernetes.io/tls
data: {tls.crt: bm90IGEgY2VydGlmaWNhdGU=, tls.key: bm90IGEga2V5}
`;
const route = (
  name: string,
  path: string,
  backend: string,
  section: string,
) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: apps}
spec:
  parentRefs: [{name: edge, sectionName: ${section}}]
  rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}], backendRefs: [{name: ${backend}, port: 80}]}]
`;
const service = (port: number) => `apiVersion: v1
kind: Service
metadata: {name: shop, namespace: apps}
spec: {ports: [{port: ${port}}]}
`;
const SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: shop-1, namespace: apps, labels: {kubernetes.io/service-name: shop}}
addressType: IPv4
ports: [{port: 80}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`;

/** Objects every part of the plane accepts (their statuses may still say what is wrong with them). */
const GOOD_DOCUMENTS: readonly string[] = [
  gatewayClass('switchyard.dev/gateway-controller'),
  gatewayClass('example.com/another-controller'),
  gateway(8080, 'switchyard'),
  gateway(9090, 'switchyard'),
  gateway(8080, 'missing-class'),
  route('web', '/a', 'shop', 'http'),
  route('web', '/b', 'missing', 'http'),
  route('api', '/', 'shop', 'http'),
  route('api', '/', 'shop', 'no-such-listener'),
  service(80),
  service(81),
  SLICE,
  gateway(8080, 'switchyard', 'Selector'),
  listenerSet(8090),
  listenerSet(8080),
  namespace('web'),
  namespace('other'),
  CROSS_ROUTE,
  GRANT,
  CERT,
];

/** The same objects, refused by their owner (schema) or not read at all. */
const BAD_DOCUMENTS: readonly string[] = [
  // No apiVersion: refused by the schema check (the case that found the files source's keys differing from the store's).
  gatewayClass('switchyard.dev/gateway-controller').replace(/^apiVersion: .*\n/, ''),
  // The apiVersion of another group.
  gateway(8080, 'switchyard').replace('gateway.networking.k8s.io/v1', 'example.com/v1'),
  // Out of the schema's bounds.
  route('web', '/a', 'shop', 'http').replace('port: 80', 'port: 70000'),
  // A kind Switchyard does not read.
  'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\n',
];

/** Whole files the reader refuses: they keep what they defined before. */
const UNREADABLE: readonly (string | Buffer)[] = [
  'kind: [unclosed\n',
  Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
];

const content = (documents: readonly string[]) =>
  fc.array(fc.constantFrom(...documents), { maxLength: 4 }).map((docs) => docs.join('---\n'));

type Step =
  | { op: 'write'; file: FileName; text: string | Buffer }
  | { op: 'remove'; file: FileName }
  | { op: 'remove-dir' }
  /** The watcher's announcements of what changed: each group one `files.changed`, sent back to back. */
  | { op: 'announce'; groups: readonly (readonly number[])[] };

const fileName = fc.constantFrom(...FILES);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      file: fileName,
      text: fc.oneof(
        { weight: 4, arbitrary: content([...GOOD_DOCUMENTS, ...BAD_DOCUMENTS]) },
        { weight: 1, arbitrary: fc.constantFrom(...UNREADABLE) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), file: fileName }) },
  { weight: 1, arbitrary: fc.constant({ op: 'remove-dir' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('announce' as const),
      groups: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
    }),
  },
);

/** The files at the end: good objects only (or no file). */
const finalWorld = fc.record({
  'a.yaml': fc.option(content(GOOD_DOCUMENTS), { nil: undefined }),
  'b.yaml': fc.option(content(GOOD_DOCUMENTS), { nil: undefined }),
  'sub/c.yaml': fc.option(content(GOOD_DOCUMENTS), { nil: undefined }),
});

interface History {
  readonly initial: Readonly<Record<FileName, string | Buffer | undefined>>;
  readonly steps: readonly Step[];
  readonly final: Readonly<Record<FileName, string | undefined>>;
}

const history: fc.Arbitrary<History> = fc.record({
  initial: fc.record({
    'a.yaml': fc.option(content([...GOOD_DOCUMENTS, ...BAD_DOCUMENTS]), { nil: undefined }),
    'b.yaml': fc.option(content([...GOOD_DOCUMENTS, ...BAD_DOCUMENTS]), { nil: undefined }),
    'sub/c.yaml': fc.option(content([...GOOD_DOCUMENTS, ...BAD_DOCUMENTS]), { nil: undefined }),
  }),
  steps: fc.array(step, { maxLength: 10 }),
  final: finalWorld,
});

function write(dir: string, file: string, text: string | Buffer): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

async function runHistory({ initial, steps, final }: History): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-converge-'));
  dirs.push(dir);
  for (const file of FILES) {
    const text = initial[file];
    if (text !== undefined) write(dir, file, text);
  }
  const running = await startAnnounced(dir);
  /** Paths changed and not announced since: the watcher announces each change at least once. */
  const unannounced = new Set<string>();
  const announce = async (groups: readonly (readonly string[])[]) => {
    for (const paths of groups) for (const path of paths) unannounced.delete(path);
    await running.announce(...groups);
  };
  try {
    for (const s of steps) {
      if (s.op === 'write') {
        write(dir, s.file, s.text);
        unannounced.add(join(dir, s.file));
      } else if (s.op === 'remove') {
        rmSync(join(dir, s.file), { force: true });
        unannounced.add(join(dir, s.file));
      } else if (s.op === 'remove-dir') {
        rmSync(join(dir, 'sub'), { recursive: true, force: true });
        unannounced.add(join(dir, 'sub'));
      } else {
        // Any path may be announced, changed or not; a changed one may wait for a later announcement.
        const candidates = [...new Set([...unannounced, ...FILES.map((file) => join(dir, file))])].sort();
        await announce(
          s.groups.map((picks) => [
            ...new Set(picks.map((pick) => candidates[pick % candidates.length] as string)),
          ]),
        );
      }
    }
    // The final files: only those that differ are touched (and announced).
    for (const file of FILES) {
      const text = final[file];
      const path = join(dir, file);
      const now = existsSync(path) ? readFileSync(path) : undefined;
      if (text === undefined ? now === undefined : now?.equals(Buffer.from(text)) === true) continue;
      if (text === undefined) rmSync(path);
      else write(dir, file, text);
      unannounced.add(path);
    }
    await announce([[...unannounced].sort()]);

    expect(planeState(running.plane), dir).toEqual(await freshState(dir));
  } finally {
    await running.stop();
  }
}

describe('the files-mode controller after any history of edits', () => {
  it('holds what a fresh start on the final files holds: objects, statuses, IRs, problems, owners', async () => {
    await fc.assert(fc.asyncProperty(history, runHistory), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 150),
      seed: Number(process.env.FUZZ_SEED ?? 4242),
    });
  }, 600_000);
});
