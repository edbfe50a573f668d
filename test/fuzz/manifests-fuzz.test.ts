// Fuzzing the way users feed Switchyard: random and mutated multi-document YAML files (broken syntax, NUL and
// non-UTF-8 bytes, aliases that expand, deep nesting, explicit nulls, values Envoy refuses, duplicated objects)
// through `switchyard translate` as a spawned command and through the files-mode controller, half the cases checked
// against the CRDs (--crds). For every case: no crash and no stack trace, an end within a hang guard and a heap
// limit (the spawned command's; for the controller, its worker thread's), every refusal naming its file and a reason, output bounded per file, translate's exit code as its summary
// says, and — for the controller — the good input that follows converges to the state a fresh start on it reaches
// (statuses, IRs, no problem left over).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROBLEM_LIMITS } from '../../sources/problem-book.ts';
import { provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';
import { runControllerCase } from './controller-case.ts';

const CLI = fileURLToPath(new URL('../../cli/switchyard.ts', import.meta.url));
/** A case that runs longer than this is a hang (the command is killed and the case fails); not a timing. */
const HANG_GUARD_MS = 90_000;
/** The heap a spawned `translate` may use: a case that needs more crashes it, and fails. */
const HEAP_LIMIT_MB = 512;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// ---- the good world every case starts from (and the controller comes back to) ----

const GOOD: Readonly<Record<string, string>> = {
  'gateway.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: apps}
spec:
  gatewayClassName: switchyard
  listeners:
    - {name: http, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: Same}}}
    - name: api
      protocol: HTTP
      port: 8081
      hostname: "*.example.com"
      allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}
`,
  'routes.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  hostnames: [shop.example.com]
  rules:
    - matches: [{path: {type: RegularExpression, value: "/items/[0-9]+"}}]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: {set: [{name: x-shop, value: "1"}]}
      backendRefs: [{name: shop, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-env, value: canary}]}]
      backendRefs: [{name: shop, port: 80, weight: 3}, {name: missing, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: apps}
spec:
  parentRefs: [{name: edge, sectionName: api}]
  rules: [{backendRefs: [{name: shop, port: 80}]}]
`,
  'services.yaml': `apiVersion: v1
kind: Service
metadata: {name: shop, namespace: apps}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: shop-1, namespace: apps, labels: {kubernetes.io/service-name: shop}}
addressType: IPv4
ports: [{port: 80}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`,
};

// ---- what a careless or hostile user adds ----

const HOSTILE_DOCUMENTS: readonly string[] = [
  // Aliases that expand a thousandfold.
  `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
  // Nested far deeper than any manifest.
  `${'['.repeat(3000)}${']'.repeat(3000)}\n`,
  `${'x:\n'.split('\n')[0]}${Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')}\n`,
  // Not a mapping; a list; a List with garbage items.
  `- just\n- a list\n`,
  `apiVersion: v1\nkind: List\nitems: [1, null, {kind: HTTPRoute}]\n`,
  // Values Envoy refuses.
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hostile, namespace: apps}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  hostnames: ["evil.example.com\\r\\nx: y"]
  rules:
    - matches: [{path: {type: RegularExpression, value: "/(?<=a)b"}}]
      backendRefs: [{name: shop, port: 80}]
    - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: "a\\r\\nb"}]}}]
      backendRefs: [{name: shop, port: 80, weight: 1e12}]
`,
  // Explicit nulls everywhere.
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: nulls, namespace: null, labels: ~}
spec:
  parentRefs: [{name: edge, namespace: null, sectionName: null}]
  hostnames:
  rules: [{matches: null, backendRefs: [{name: shop, port: 80, group: null, kind: null}]}]
`,
  // The same object as the good world's, differently.
  `apiVersion: v1\nkind: Service\nmetadata: {name: shop, namespace: apps}\nspec: {ports: [{port: 81}]}\n`,
  // Unknown kinds and apiVersions.
  `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n`,
  `kind: Gateway\nmetadata: {name: no-version}\n`,
  // What the CRDs' CEL rules refuse (with --crds): a prefix rewrite without a PathPrefix match, a v1 TCPRoute of two
  // rules, two listeners of one name.
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: prefix-rewrite, namespace: apps}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules:
    - matches: [{path: {type: Exact, value: /old}}]
      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]
      backendRefs: [{name: shop, port: 80}]
`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: TCPRoute\nmetadata: {name: two, namespace: apps}\nspec:\n  parentRefs: [{name: edge}]\n  rules: [{backendRefs: [{name: shop, port: 80}]}, {backendRefs: [{name: shop, port: 80}]}]\n`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: twins, namespace: apps}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: a, protocol: HTTP, port: 80}, {name: a, protocol: HTTP, port: 81}]\n`,
  // A listener admitting from a Selector with no selector (none), a route without a namespace (default).
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: selector, namespace: apps}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 8090, allowedRoutes: {namespaces: {from: Selector}}}]\n`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: nowhere}\nspec:\n  parentRefs: [{name: selector, namespace: apps}]\n  rules: [{backendRefs: [{name: shop, namespace: apps, port: 80}]}]\n`,
  // One file of thousands of refusals: the output stays bounded per file.
  `apiVersion: v1\nkind: List\nitems: [${Array.from({ length: 3000 }, (_, i) => `{kind: Widget${i % 7}, metadata: {name: w${i}}}`).join(', ')}]\n`,
];

const HOSTILE_CHARS = [
  ':',
  '-',
  ' ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  '&',
  '*',
  '!',
  '"',
  "'",
  '#',
  '|',
  '>',
  '%',
  '@',
  '`',
  '\0',
  '\r',
  '\n',
  'é',
  '\u202e',
  '\uFEFF',
];

type Mutation =
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'deleteLine' | 'duplicateLine' | 'indent' | 'dedent' | 'nullify'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; document: string }
  | { kind: 'bytes'; at: number; bytes: number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), char: fc.constantFrom(...HOSTILE_CHARS) }),
  fc.record({
    kind: fc.constantFrom(
      'deleteLine' as const,
      'duplicateLine' as const,
      'indent' as const,
      'dedent' as const,
      'nullify' as const,
    ),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), document: fc.constantFrom(...HOSTILE_DOCUMENTS) }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }),
  }),
);

/** One file of a case: a good file (or a hostile document alone) with mutations applied in order. */
const fileCase = fc.record({
  base: fc.constantFrom(...Object.keys(GOOD), 'hostile.yaml'),
  hostile: fc.constantFrom(...HOSTILE_DOCUMENTS),
  mutations: fc.array(mutation, { maxLength: 4 }),
});

const fuzzCase = fc.array(fileCase, { minLength: 1, maxLength: 3 });

function mutate(text: string, change: Mutation): Buffer | string {
  const lines = text.split('\n');
  const line = lines.length === 0 ? 0 : change.kind === 'append' ? 0 : change.at % lines.length;
  switch (change.kind) {
    case 'flip': {
      const at = text.length === 0 ? 0 : change.at % text.length;
      return text.slice(0, at) + change.char + text.slice(at + 1);
    }
    case 'deleteLine':
      return lines.filter((_, i) => i !== line).join('\n');
    case 'duplicateLine':
      return [...lines.slice(0, line + 1), ...lines.slice(line)].join('\n');
    case 'indent':
      return lines.map((l, i) => (i === line ? `  ${l}` : l)).join('\n');
    case 'dedent':
      return lines.map((l, i) => (i === line ? l.replace(/^ {1,2}/, '') : l)).join('\n');
    case 'nullify':
      return lines.map((l, i) => (i === line ? l.replace(/:\s.*$/, ': null') : l)).join('\n');
    case 'truncate':
      return text.slice(0, text.length === 0 ? 0 : change.at % text.length);
    case 'append':
      return `${text}\n---\n${change.document}`;
    case 'bytes': {
      const buffer = Buffer.from(text);
      const at = buffer.length === 0 ? 0 : change.at % buffer.length;
      return Buffer.concat([buffer.subarray(0, at), Buffer.from(change.bytes), buffer.subarray(at)]);
    }
  }
}

/** Writes a case's files into a fresh directory; returns it. */
interface FileCase {
  readonly base: string;
  readonly hostile: string;
  readonly mutations: readonly Mutation[];
}

function writeCase(files: readonly FileCase[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-fuzz-'));
  dirs.push(dir);
  files.forEach((file, i) => {
    let content: Buffer | string = GOOD[file.base] ?? file.hostile;
    for (const change of file.mutations) content = mutate(content.toString('latin1'), change);
    // A mutated good file keeps its name (so the good world replaces it); the others get their own.
    const name =
      GOOD[file.base] !== undefined && i === files.findIndex((f) => f.base === file.base)
        ? file.base
        : `extra-${i}.yaml`;
    writeFileSync(join(dir, name), typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  });
  return dir;
}

interface Spawned {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly hung: boolean;
}

function spawnTranslate(dir: string, crdArgs: readonly string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_LIMIT_MB}`, CLI, 'translate', '-f', dir, ...crdArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_GUARD_MS);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr, hung });
    });
  });
}

/** More than this on stderr is a flood (the case fails); a case's files hold a few thousand objects at most. */
const MAX_STDERR = 1_000_000;
const STACK_TRACE = /^\s+at .+(:\d+:\d+\)?|native)$|\b(TypeError|RangeError|ReferenceError|FATAL ERROR)\b/m;
const SUMMARY =
  /^translate: (\d+) accepted, (\d+) rejected, (\d+) ignored( \(allowed\))?(?:, (\d+) files? refused)?$/;

/** The CRDs a cluster would have: Gateway API's (experimental) and the Inference Extension's, and ours. */
const crdArgs = async () =>
  [
    ...(await provisionUpstreamCrdFiles()),
    fileURLToPath(new URL('../../deploy/crds', import.meta.url)),
  ].flatMap((path) => ['--crds', path]);

/** Lines a file may get: its problems (listed up to the per-file limit, then one line counting the rest), and one
 * rejection per object it defines (at most one per `kind:` in it). */
const linesAllowed = (text: string) =>
  DEFAULT_PROBLEM_LIMITS.perFile + 1 + (text.match(/kind:/g)?.length ?? 0);

describe('fuzzing switchyard translate (spawned) with random and mutated YAML', () => {
  it(
    'never crashes, ends within the hang guard and heap limit, and names file and reason in every refusal',
    async () => {
      const withCrds = await crdArgs();
      await fc.assert(
        fc.asyncProperty(fuzzCase, fc.boolean(), async (files, checkCrds) => {
          const dir = writeCase(files);
          const run = await spawnTranslate(dir, checkCrds ? withCrds : []);
          const where = `case in ${dir} (${readdirSync(dir).join(', ')}${checkCrds ? ', with --crds' : ''})`;
          expect(run.hung, `${where}: still running after the hang guard`).toBe(false);
          expect(run.signal, `${where}: killed by a signal\n${run.stderr}`).toBeNull();
          expect([0, 1], `${where}: exit code ${run.code}\n${run.stderr}`).toContain(run.code);
          expect(run.stderr, where).not.toMatch(STACK_TRACE);
          expect(run.stderr.length, `${where}: stderr flooded`).toBeLessThan(MAX_STDERR);
          const lines = run.stderr.split('\n').filter((l) => l !== '');
          // A linter: exit 1 exactly when the summary counts a rejected or ignored object or a refused file.
          const [, , rejected, ignored, , refused] = SUMMARY.exec(lines.at(-1) ?? '') ?? [];
          expect(lines.at(-1), where).toMatch(SUMMARY);
          expect(run.code, `${where}: exit code against ${lines.at(-1)}`).toBe(
            Number(rejected) + Number(ignored) + Number(refused ?? 0) > 0 ? 1 : 0,
          );
          const perFile = new Map<string, number>();
          for (const line of lines.slice(0, -1)) {
            // `<dir>/<file>[:line]: <reason>`
            expect(line.startsWith(`${dir}/`), `${where}: a line without its file: ${line}`).toBe(true);
            expect(line.slice(dir.length + 1), `${where}: a line without a reason: ${line}`).toMatch(
              /^[^/:]+\.yaml(:\d+)?: \S/,
            );
            const file = line.slice(dir.length + 1).split(':')[0]!;
            perFile.set(file, (perFile.get(file) ?? 0) + 1);
          }
          for (const [file, count] of perFile) {
            const text = readFileSync(join(dir, file), 'latin1');
            expect(count, `${where}: ${count} lines about ${file}`).toBeLessThanOrEqual(linesAllowed(text));
          }
        }),
        { numRuns: 8, seed: 1515 },
      );
    },
    8 * HANG_GUARD_MS,
  );
});

// ---- the files-mode controller: a bad case, then the good world, must end as a fresh start on the good world ----

/**
 * The heap one controller case may use (its worker's old generation): the plane, the CRD validator and a case's
 * few thousand objects fit many times over; a case that needs more fails, named.
 */
const CONTROLLER_HEAP_LIMIT_MB = 512;
const CONTROLLER_SEED = 2727;

async function badThenGood(
  files: readonly FileCase[],
  crdPaths: readonly string[],
  heapMiB = CONTROLLER_HEAP_LIMIT_MB,
): Promise<void> {
  const dir = writeCase(files);
  const where = `case in ${dir} (fast-check seed ${CONTROLLER_SEED}; ${readdirSync(dir).join(', ')}${crdPaths.length > 0 ? ', with CRDs' : ''})`;
  const outcome = await runControllerCase({ dir, good: GOOD, crdPaths }, heapMiB);
  if (outcome.kind === 'out-of-memory')
    throw new Error(`${where}: allocated beyond the per-case heap bound of ${heapMiB} MiB`);
  if (outcome.kind === 'failed') throw new Error(`${where}: ${outcome.error}`);
  for (const problem of outcome.problems) {
    expect(
      problem.origin.startsWith(`${dir}/`),
      `${where}: a problem without its file: ${problem.origin}`,
    ).toBe(true);
    expect(problem.message.trim(), where).not.toBe('');
  }
  expect(outcome.afterGood, where).toEqual(outcome.fresh);
}

describe('fuzzing the files-mode controller with random and mutated YAML', () => {
  it(
    'refuses with file and reason, and a following good input converges to the state of a fresh start, each case within its heap bound',
    async () => {
      // Half the cases checked against the CRDs, as `controller --files --crds` does.
      const crdPaths = await provisionUpstreamCrdFiles();
      await fc.assert(
        fc.asyncProperty(fuzzCase, fc.boolean(), (files, checkCrds) =>
          badThenGood(files, checkCrds ? crdPaths : []),
        ),
        { numRuns: 25, seed: CONTROLLER_SEED },
      );
    },
    25 * HANG_GUARD_MS,
  );

  it(
    'a case that allocates beyond its heap bound fails, naming the seed and the case',
    async () => {
      // The good world alone, with the CRDs, under a bound far below what loading them takes.
      const files = Object.keys(GOOD).map((base) => ({ base, hostile: '', mutations: [] }));
      await expect(badThenGood(files, await provisionUpstreamCrdFiles(), 16)).rejects.toThrow(
        /^case in \S+ \(fast-check seed 2727; .*, with CRDs\): allocated beyond the per-case heap bound of 16 MiB$/,
      );
    },
    HANG_GUARD_MS,
  );
});
